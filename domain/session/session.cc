#include "domain/session/session.h"

#include "domain/common/overloaded.h"

namespace mneme::domain::session {
namespace {

using nlohmann::json;

json MethodsToJson(const std::vector<AuthenticationMethod>& methods) {
  json out = json::array();
  for (const auto& m : methods) {
    out.push_back({{"method", m.method}, {"aal", m.aal}, {"completed_at", m.completed_at.micros}});
  }
  return out;
}

std::vector<AuthenticationMethod> MethodsFromJson(const json& j) {
  std::vector<AuthenticationMethod> out;
  for (const auto& m : j) {
    out.push_back({m.at("method").get<std::string>(), m.at("aal").get<std::string>(),
                   Timestamp{m.at("completed_at").get<int64_t>()}});
  }
  return out;
}

json DevicesToJson(const std::vector<Device>& devices) {
  json out = json::array();
  for (const auto& d : devices) {
    out.push_back({{"id", d.id},
                   {"ip_address", d.ip_address},
                   {"user_agent", d.user_agent},
                   {"location", d.location}});
  }
  return out;
}

std::vector<Device> DevicesFromJson(const json& j) {
  std::vector<Device> out;
  if (!j.is_array()) {
    return out;
  }
  for (const auto& d : j) {
    out.push_back({d.value("id", ""), d.value("ip_address", ""), d.value("user_agent", ""),
                   d.value("location", "")});
  }
  return out;
}

}  // namespace

bool IsLive(const Session& s, Timestamp now) {
  return s.exists && !s.revoked && now < s.expires_at;
}

std::string AalOf(const std::vector<AuthenticationMethod>& methods) {
  bool aal1 = false;
  bool aal2 = false;
  for (const auto& m : methods) {
    aal1 = aal1 || m.aal == "aal1";
    aal2 = aal2 || m.aal == "aal2";
  }
  if (aal1 && aal2) {
    return "aal2";
  }
  return aal1 ? "aal1" : "aal0";
}

std::string TypeOf(const Event& e) {
  return std::visit([](const auto& ev) -> std::string { return ev.kType; }, e);
}

std::string StreamOf(const std::string& session_id) { return "session-" + session_id; }

Result<std::vector<Event>> Decide(const Session& state, const Command& command) {
  return std::visit(
      Overloaded{
          [&](const IssueSession& c) -> Result<std::vector<Event>> {
            if (state.exists) {
              return MakeError(Code::kAlreadyExists, "session exists already");
            }
            if (c.identity_id.empty() || c.lifespan_micros <= 0) {
              return MakeError(Code::kInvalidArgument, "a session needs an identity and a lifespan");
            }
            SessionIssued e;
            e.identity_id = c.identity_id;
            e.token_hash = c.token_hash;
            e.logout_token_hash = c.logout_token_hash;
            e.methods = c.methods;
            e.aal = AalOf(c.methods);
            e.authenticated_at = c.now;
            for (const auto& m : c.methods) {
              e.authenticated_at = std::max(e.authenticated_at, m.completed_at);
            }
            e.expires_at = Timestamp{e.authenticated_at.micros + c.lifespan_micros};
            e.devices = c.devices;
            return std::vector<Event>{std::move(e)};
          },
          [&](const RevokeSession& c) -> Result<std::vector<Event>> {
            if (!state.exists) {
              return MakeError(Code::kNotFound, "session not found");
            }
            if (state.revoked) {
              return std::vector<Event>{};
            }
            return std::vector<Event>{SessionRevoked{c.reason}};
          },
          [&](const ExtendSession& c) -> Result<std::vector<Event>> {
            if (!state.exists) {
              return MakeError(Code::kNotFound, "session not found");
            }
            if (c.lifespan_micros <= 0) {
              return MakeError(Code::kInvalidArgument, "lifespan must be positive");
            }
            if (state.expires_at.micros - c.now.micros > c.earliest_possible_extend_micros) {
              return std::vector<Event>{};
            }
            return std::vector<Event>{SessionExtended{Timestamp{c.now.micros + c.lifespan_micros}}};
          },
      },
      command);
}

Session Evolve(Session state, const Event& event, Timestamp at) {
  std::visit(Overloaded{
                 [&](const SessionIssued& e) {
                   state.exists = true;
                   state.identity_id = e.identity_id;
                   state.token_hash = e.token_hash;
                   state.logout_token_hash = e.logout_token_hash;
                   state.aal = e.aal;
                   state.methods = e.methods;
                   state.issued_at = at;
                   state.authenticated_at = e.authenticated_at;
                   state.expires_at = e.expires_at;
                   state.devices = e.devices;
                 },
                 [&](const SessionRevoked& e) {
                   state.revoked = true;
                   state.revoked_at = at;
                   state.revoke_reason = e.reason;
                 },
                 [&](const SessionExtended& e) { state.expires_at = e.expires_at; },
             },
             event);
  return state;
}

EncodedEvent Encode(const Event& event) {
  return std::visit(
      Overloaded{
          [](const SessionIssued& e) {
            EncodedEvent out;
            out.type = e.kType;
            out.plain = {{"identity_id", e.identity_id},
                         {"token_hash", e.token_hash},
                         {"logout_token_hash", e.logout_token_hash},
                         {"aal", e.aal},
                         {"methods", MethodsToJson(e.methods)},
                         {"authenticated_at", e.authenticated_at.micros},
                         {"expires_at", e.expires_at.micros}};
            out.personal = {{"devices", DevicesToJson(e.devices)}};
            return out;
          },
          [](const SessionRevoked& e) {
            EncodedEvent out;
            out.type = e.kType;
            out.plain = {{"reason", e.reason}};
            return out;
          },
          [](const SessionExtended& e) {
            EncodedEvent out;
            out.type = e.kType;
            out.plain = {{"expires_at", e.expires_at.micros}};
            return out;
          },
      },
      event);
}

Result<Event> Decode(const std::string& type, const json& plain, const json& personal) {
  try {
    if (type == SessionIssued::kType) {
      SessionIssued e;
      e.identity_id = plain.at("identity_id").get<std::string>();
      e.token_hash = plain.at("token_hash").get<std::string>();
      e.logout_token_hash = plain.value("logout_token_hash", "");
      e.aal = plain.at("aal").get<std::string>();
      e.methods = MethodsFromJson(plain.at("methods"));
      e.authenticated_at = Timestamp{plain.at("authenticated_at").get<int64_t>()};
      e.expires_at = Timestamp{plain.at("expires_at").get<int64_t>()};
      if (personal.is_object()) {
        e.devices = DevicesFromJson(personal.value("devices", json::array()));
      }
      return Event{std::move(e)};
    }
    if (type == SessionRevoked::kType) {
      return Event{SessionRevoked{plain.value("reason", "")}};
    }
    if (type == SessionExtended::kType) {
      return Event{SessionExtended{Timestamp{plain.at("expires_at").get<int64_t>()}}};
    }
  } catch (const json::exception& e) {
    return MakeError(Code::kDataLoss, type + ": " + e.what());
  }
  return MakeError(Code::kDataLoss, "unknown session event type " + type);
}

json ToJson(const Session& s) {
  json row = {{"id", s.id},
              {"identity_id", s.identity_id},
              {"token_hash", s.token_hash},
              {"logout_token_hash", s.logout_token_hash},
              {"aal", s.aal},
              {"methods", MethodsToJson(s.methods)},
              {"issued_at", s.issued_at.micros},
              {"authenticated_at", s.authenticated_at.micros},
              {"expires_at", s.expires_at.micros},
              {"devices", DevicesToJson(s.devices)},
              {"revoked", s.revoked}};
  if (s.revoked_at) {
    row["revoked_at"] = s.revoked_at->micros;
    row["revoke_reason"] = s.revoke_reason;
  }
  return row;
}

Result<Session> FromJson(const json& row) {
  try {
    Session s;
    s.exists = true;
    s.id = row.at("id").get<std::string>();
    s.identity_id = row.at("identity_id").get<std::string>();
    s.token_hash = row.value("token_hash", "");
    s.logout_token_hash = row.value("logout_token_hash", "");
    s.aal = row.value("aal", "aal1");
    s.methods = MethodsFromJson(row.at("methods"));
    s.issued_at = Timestamp{row.at("issued_at").get<int64_t>()};
    s.authenticated_at = Timestamp{row.at("authenticated_at").get<int64_t>()};
    s.expires_at = Timestamp{row.at("expires_at").get<int64_t>()};
    s.devices = DevicesFromJson(row.value("devices", json::array()));
    s.revoked = row.value("revoked", false);
    if (row.contains("revoked_at")) {
      s.revoked_at = Timestamp{row.at("revoked_at").get<int64_t>()};
      s.revoke_reason = row.value("revoke_reason", "");
    }
    return s;
  } catch (const json::exception& e) {
    return MakeError(Code::kDataLoss, std::string("session row: ") + e.what());
  }
}

}  // namespace mneme::domain::session
