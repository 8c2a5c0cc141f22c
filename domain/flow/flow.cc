#include "domain/flow/flow.h"

#include "domain/common/overloaded.h"

namespace mneme::domain::flow {
namespace {

using nlohmann::json;

Status CheckOpen(const Flow& state, Timestamp now) {
  if (!state.exists) {
    return MakeError(Code::kNotFound, "flow not found");
  }
  if (state.completed) {
    return MakeError(Code::kFailedPrecondition, "flow completed already");
  }
  if (!(now < state.expires_at)) {
    return MakeError(Code::kDeadlineExceeded, "flow expired");
  }
  return OkStatus();
}

}  // namespace

std::string TypeOf(const Event& e) {
  return std::visit([](const auto& ev) -> std::string { return ev.kType; }, e);
}

std::string StreamOf(const std::string& flow_id) { return "flow-" + flow_id; }

Result<std::vector<Event>> Decide(const Flow& state, const Command& command) {
  return std::visit(
      Overloaded{
          [&](const CreateFlow& c) -> Result<std::vector<Event>> {
            if (state.exists) {
              return MakeError(Code::kAlreadyExists, "flow exists already");
            }
            if (c.created.kind.empty() || c.created.type.empty()) {
              return MakeError(Code::kInvalidArgument, "a flow needs a kind and a type");
            }
            return std::vector<Event>{c.created};
          },
          [&](const FailFlow& c) -> Result<std::vector<Event>> {
            MNEME_RETURN_IF_ERROR(CheckOpen(state, c.now));
            return std::vector<Event>{c.failed};
          },
          [&](const ChangeStep& c) -> Result<std::vector<Event>> {
            MNEME_RETURN_IF_ERROR(CheckOpen(state, c.now));
            return std::vector<Event>{c.step};
          },
          [&](const CompleteFlow& c) -> Result<std::vector<Event>> {
            MNEME_RETURN_IF_ERROR(CheckOpen(state, c.now));
            return std::vector<Event>{c.completed};
          },
          [&](const SendCode& c) -> Result<std::vector<Event>> {
            MNEME_RETURN_IF_ERROR(CheckOpen(state, c.now));
            return std::vector<Event>{c.sent};
          },
          [&](const RejectCode& c) -> Result<std::vector<Event>> {
            MNEME_RETURN_IF_ERROR(CheckOpen(state, c.now));
            if (state.code_submissions >= kMaxCodeSubmissions) {
              return MakeError(Code::kResourceExhausted, "code submitted too often");
            }
            return std::vector<Event>{c.rejected};
          },
          [&](const ExpireData&) -> Result<std::vector<Event>> {
            if (!state.exists) {
              return MakeError(Code::kNotFound, "flow not found");
            }
            if (state.data_expired) {
              return std::vector<Event>{};
            }
            return std::vector<Event>{FlowDataExpired{}};
          },
          [&](const Rebind& c) -> Result<std::vector<Event>> {
            MNEME_RETURN_IF_ERROR(CheckOpen(state, c.now));
            return std::vector<Event>{c.rebound};
          },
          [&](const AcceptCode& c) -> Result<std::vector<Event>> {
            MNEME_RETURN_IF_ERROR(CheckOpen(state, c.now));
            if (state.code_submissions >= kMaxCodeSubmissions) {
              return MakeError(Code::kResourceExhausted, "code submitted too often");
            }
            if (state.code_hash.empty() || !(c.now < state.code_expires_at)) {
              return MakeError(Code::kFailedPrecondition, "no live code");
            }
            return std::vector<Event>{c.completed};
          },
      },
      command);
}

Flow Evolve(Flow state, const Event& event, Timestamp at) {
  std::visit(Overloaded{
                 [&](const FlowCreated& e) {
                   state.exists = true;
                   state.kind = e.kind;
                   state.type = e.type;
                   state.request_url = e.request_url;
                   state.return_to = e.return_to;
                   state.issued_at = at;
                   state.expires_at = e.expires_at;
                   state.csrf_hash = e.csrf_hash;
                   state.skip_csrf = e.skip_csrf;
                   state.refresh = e.refresh;
                   state.requested_aal = e.requested_aal;
                   state.messages = e.messages;
                   state.login_hint = e.login_hint;
                   state.identity_id = e.identity_id;
                   if (e.kind == "settings") {
                     state.state = "show_form";
                   }
                 },
                 [&](const FlowFailed& e) {
                   state.active = e.method;
                   state.messages = e.messages;
                   state.node_messages = e.node_messages;
                   state.values = e.values;
                   state.failures += 1;
                 },
                 [&](const FlowStepChanged& e) {
                   state.screen = e.screen;
                   state.values = e.values;
                   state.messages = json::array();
                   state.node_messages = json::object();
                   state.active = "profile";
                 },
                 [&](const FlowCompleted& e) {
                   state.completed = true;
                   state.active = e.method;
                   state.identity_id = e.identity_id;
                   state.session_id = e.session_id;
                   state.continue_flow_id = e.continue_flow_id;
                   state.messages = json::array();
                   state.node_messages = json::object();
                   if (state.kind == "verification" || state.kind == "recovery") {
                     state.state = "passed_challenge";
                     state.code_submissions += 1;
                     state.code_hash.clear();
                   }
                 },
                 [&](const FlowCodeSent& e) {
                   state.state = "sent_email";
                   state.active = e.method;
                   state.code_method = e.method;
                   state.code_hash = e.code_hash;
                   state.code_expires_at = e.expires_at;
                   state.code_identity_id = e.identity_id;
                   state.code_address = e.address;
                   state.messages = e.messages;
                   state.node_messages = json::object();
                 },
                 [&](const FlowDataExpired&) {
                   state.data_expired = true;
                   state.values = json::object();
                   state.code_address.clear();
                   state.request_url.clear();
                   state.return_to.clear();
                   state.login_hint.clear();
                 },
                 [&](const FlowRebound& e) {
                   if (!e.csrf_hash.empty()) {
                     state.csrf_hash = e.csrf_hash;
                   }
                   for (const auto& [k, v] : e.values.items()) {
                     state.values[k] = v;
                   }
                 },
                 [&](const FlowCodeRejected& e) {
                   state.code_submissions += 1;
                   state.messages = e.messages;
                   state.node_messages = json::object();
                 },
             },
             event);
  return state;
}

EncodedEvent Encode(const Event& event) {
  return std::visit(
      Overloaded{
          [](const FlowCreated& e) {
            EncodedEvent out;
            out.type = e.kType;
            out.plain = {{"kind", e.kind},
                         {"type", e.type},
                         {"expires_at", e.expires_at.micros},
                         {"csrf_hash", e.csrf_hash},
                         {"refresh", e.refresh},
                         {"requested_aal", e.requested_aal}};
            if (!e.messages.empty()) {
              out.plain["messages"] = e.messages;
            }
            if (e.skip_csrf) {
              out.plain["skip_csrf"] = true;
            }
            if (!e.identity_id.empty()) {
              out.plain["identity_id"] = e.identity_id;
            }
            out.personal = {{"request_url", e.request_url}, {"return_to", e.return_to}};
            if (!e.login_hint.empty()) {
              out.personal["login_hint"] = e.login_hint;
            }
            return out;
          },
          [](const FlowFailed& e) {
            EncodedEvent out;
            out.type = e.kType;
            out.plain = {{"method", e.method},
                         {"messages", e.messages},
                         {"node_messages", e.node_messages},
                         {"identity_id", e.identity_id}};
            out.personal = {{"values", e.values}};
            return out;
          },
          [](const FlowStepChanged& e) {
            EncodedEvent out;
            out.type = e.kType;
            out.plain = {{"screen", e.screen}};
            out.personal = {{"values", e.values}};
            return out;
          },
          [](const FlowCompleted& e) {
            EncodedEvent out;
            out.type = e.kType;
            out.plain = {{"method", e.method},
                         {"identity_id", e.identity_id},
                         {"session_id", e.session_id}};
            if (!e.continue_flow_id.empty()) {
              out.plain["continue_flow_id"] = e.continue_flow_id;
            }
            return out;
          },
          [](const FlowCodeSent& e) {
            EncodedEvent out;
            out.type = e.kType;
            out.plain = {{"method", e.method},
                         {"code_hash", e.code_hash},
                         {"expires_at", e.expires_at.micros},
                         {"identity_id", e.identity_id},
                         {"messages", e.messages}};
            out.personal = {{"address", e.address}};
            return out;
          },
          [](const FlowDataExpired& e) {
            EncodedEvent out;
            out.type = e.kType;
            return out;
          },
          [](const FlowRebound& e) {
            EncodedEvent out;
            out.type = e.kType;
            out.plain = {{"csrf_hash", e.csrf_hash}};
            out.personal = {{"values", e.values}};
            return out;
          },
          [](const FlowCodeRejected& e) {
            EncodedEvent out;
            out.type = e.kType;
            out.plain = {{"messages", e.messages}};
            return out;
          },
      },
      event);
}

Result<Event> Decode(const std::string& type, const json& plain, const json& personal) {
  const json p = personal.is_object() ? personal : json::object();
  try {
    if (type == FlowCreated::kType) {
      FlowCreated e;
      e.kind = plain.at("kind").get<std::string>();
      e.type = plain.at("type").get<std::string>();
      e.expires_at = Timestamp{plain.at("expires_at").get<int64_t>()};
      e.csrf_hash = plain.value("csrf_hash", "");
      e.skip_csrf = plain.value("skip_csrf", false);
      e.identity_id = plain.value("identity_id", "");
      e.refresh = plain.value("refresh", false);
      e.requested_aal = plain.value("requested_aal", "aal1");
      e.messages = plain.value("messages", json::array());
      e.request_url = p.value("request_url", "");
      e.return_to = p.value("return_to", "");
      e.login_hint = p.value("login_hint", "");
      return Event{std::move(e)};
    }
    if (type == FlowFailed::kType) {
      FlowFailed e;
      e.method = plain.value("method", "");
      e.messages = plain.value("messages", json::array());
      e.node_messages = plain.value("node_messages", json::object());
      e.identity_id = plain.value("identity_id", "");
      e.values = p.value("values", json::object());
      return Event{std::move(e)};
    }
    if (type == FlowStepChanged::kType) {
      return Event{FlowStepChanged{plain.value("screen", ""), p.value("values", json::object())}};
    }
    if (type == FlowCompleted::kType) {
      return Event{FlowCompleted{plain.value("method", ""), plain.value("identity_id", ""),
                                 plain.value("session_id", ""),
                                 plain.value("continue_flow_id", "")}};
    }
    if (type == FlowCodeSent::kType) {
      FlowCodeSent e;
      e.method = plain.value("method", "");
      e.code_hash = plain.value("code_hash", "");
      e.expires_at = Timestamp{plain.value("expires_at", int64_t{0})};
      e.identity_id = plain.value("identity_id", "");
      e.messages = plain.value("messages", json::array());
      e.address = p.value("address", "");
      return Event{std::move(e)};
    }
    if (type == FlowDataExpired::kType) {
      return Event{FlowDataExpired{}};
    }
    if (type == FlowRebound::kType) {
      return Event{FlowRebound{plain.value("csrf_hash", ""), p.value("values", json::object())}};
    }
    if (type == FlowCodeRejected::kType) {
      return Event{FlowCodeRejected{plain.value("messages", json::array())}};
    }
  } catch (const json::exception& e) {
    return MakeError(Code::kDataLoss, type + ": " + e.what());
  }
  return MakeError(Code::kDataLoss, "unknown flow event type " + type);
}

}  // namespace mneme::domain::flow
