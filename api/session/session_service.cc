#include "api/session/session_service.h"

#include "domain/common/time.h"
#include "domain/identity/identity_codec.h"
#include "projections/identities.h"
#include "projections/sessions.h"

namespace mneme::api {
namespace {

using domain::session::Session;
using nlohmann::json;

constexpr char kNoSession[] = "No valid session credentials found in the request.";

Result<std::optional<Session>> ReadRow(domain::ProjectionReader& reads, const std::string& sid) {
  MNEME_TRY(auto row, reads.GetRow(projections::Sessions::kName, projections::Sessions::RowKey(sid)));
  if (!row) {
    return std::optional<Session>();
  }
  auto parsed = json::parse(*row, nullptr, false);
  MNEME_TRY(auto s, domain::session::FromJson(parsed));
  return std::optional<Session>(std::move(s));
}

}  // namespace

std::string SessionService::NewToken(const std::string& prefix) {
  static constexpr char kAlnum[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string out = prefix;
  while (out.size() < prefix.size() + 32) {
    for (unsigned char b : random_.Bytes(48)) {
      if (b < 248 && out.size() < prefix.size() + 32) {  // 248 = 4 * 62: no modulo bias
        out.push_back(kAlnum[b % 62]);
      }
    }
  }
  return out;
}

std::string SessionService::LogoutTokenFor(std::string_view session_token) const {
  static constexpr char kAlnum[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const std::string digest = hasher_.Hash(std::string("logout:") + std::string(session_token));
  std::string out = "ory_lo_";
  for (size_t i = 0; i + 1 < digest.size() && out.size() < 7 + 32; i += 2) {
    out.push_back(kAlnum[std::stoi(digest.substr(i, 2), nullptr, 16) % 62]);
  }
  return out;
}

bool SessionService::IsActive(const Session& s) const {
  return domain::session::IsLive(s, clock_.Now());
}

Status SessionService::Execute(const std::string& session_id, const Session& current,
                               const domain::session::Command& command, const std::string& actor,
                               const std::string& request_id) {
  MNEME_TRY(auto events, domain::session::Decide(current, command));
  if (events.empty()) {
    return OkStatus();
  }
  const auto now = clock_.Now();
  domain::AppendRequest request;
  request.stream = domain::session::StreamOf(session_id);
  for (auto& event : events) {
    auto encoded = domain::session::Encode(event);
    const std::string owner = std::holds_alternative<domain::session::SessionIssued>(event)
                                  ? std::get<domain::session::SessionIssued>(event).identity_id
                                  : current.identity_id;
    domain::NewEvent e;
    e.type = encoded.type;
    e.time = now;
    e.actor = actor;
    e.request_id = request_id;
    if (!encoded.personal.is_null()) {
      MNEME_TRY(auto key_op, cipher_.EnsureKey(owner));
      if (key_op) {
        request.data_keys.push_back(*key_op);
      }
    }
    MNEME_TRY(e.data, domain::SealEventData(cipher_, owner, encoded.plain, encoded.personal));
    e.decoded = event;
    request.events.push_back(std::move(e));
  }
  request.expected = current.exists ? domain::ExpectedVersion::Any()
                                    : domain::ExpectedVersion::NoStream();
  MNEME_RETURN_IF_ERROR(store_.Append(std::move(request)));
  return OkStatus();
}

Result<IssuedSession> SessionService::Issue(const std::string& identity_id,
                                            std::vector<domain::session::AuthenticationMethod> methods,
                                            domain::session::Device device,
                                            const std::string& request_id) {
  IssuedSession out;
  out.token = NewToken("ory_st_");
  out.logout_token = LogoutTokenFor(out.token);
  const std::string sid = ids_.NewUuid();
  device.id = ids_.NewUuid();
  domain::session::IssueSession c;
  c.identity_id = identity_id;
  c.token_hash = hasher_.Hash(out.token);
  c.logout_token_hash = hasher_.Hash(out.logout_token);
  c.methods = std::move(methods);
  c.now = clock_.Now();
  c.lifespan_micros = options_.lifespan_micros;
  c.devices = {std::move(device)};
  MNEME_TRY(auto events, domain::session::Decide(Session{}, c));
  MNEME_RETURN_IF_ERROR(Execute(sid, Session{}, c, identity_id, request_id));
  Session s;
  for (const auto& e : events) {
    s = domain::session::Evolve(std::move(s), e, c.now);
  }
  s.id = sid;
  out.session = std::move(s);
  return out;
}

Result<AuthenticatedSession> SessionService::Authenticate(std::string_view token) {
  if (token.empty() || token.size() > 256) {
    return MakeError(Code::kUnauthenticated, kNoSession);
  }
  for (const auto& hash : hasher_.Candidates(token)) {
    MNEME_TRY(auto sid, reads_.GetRow(projections::Sessions::kName,
                                      projections::Sessions::TokenKey(hash)));
    if (!sid) {
      continue;
    }
    MNEME_TRY(auto s, ReadRow(reads_, *sid));
    if (!s || !IsActive(*s)) {
      break;
    }
    auto identity = identities_.Get(s->identity_id);
    if (!identity) {
      if (identity.error().code() == Code::kNotFound) {
        break;
      }
      return tl::unexpected(identity.error());
    }
    if (identity->state != "active") {
      return MakeError(Code::kPermissionDenied, "This account was disabled.");
    }
    return AuthenticatedSession{std::move(*s), std::move(*identity)};
  }
  return MakeError(Code::kUnauthenticated, kNoSession);
}

Result<WhoamiAnswer> SessionService::Whoami(std::string_view token) {
  if (token.empty() || token.size() > 256) {
    return MakeError(Code::kUnauthenticated, kNoSession);
  }
  for (const auto& hash : hasher_.Candidates(token)) {
    MNEME_TRY(auto sid, reads_.GetRow(projections::Sessions::kName,
                                      projections::Sessions::TokenKey(hash)));
    if (!sid) {
      continue;
    }
    MNEME_TRY(auto session_row,
              reads_.GetRow(projections::Sessions::kName, projections::Sessions::RowKey(*sid)));
    if (!session_row) {
      break;
    }
    auto& shard = cache_[std::hash<std::string>{}(*sid) % kCacheShards];
    std::shared_ptr<const CachedRender> cached;
    {
      std::lock_guard lock(shard.mu);
      if (auto it = shard.entries.find(*sid); it != shard.entries.end()) {
        cached = it->second;
      }
    }
    if (cached && cached->session_row == *session_row) {
      MNEME_TRY(auto identity_row, reads_.GetRow(projections::Identities::kName,
                                                 projections::Identities::RowKey(cached->identity_id)));
      if (identity_row && *identity_row == cached->identity_row) {
        if (clock_.Now().micros >= cached->expires_at) {
          break;
        }
        return WhoamiAnswer{cached->identity_id, cached->body};
      }
    }
    // A miss: decide and render as Authenticate does, then remember.
    auto parsed = json::parse(*session_row, nullptr, false);
    MNEME_TRY(auto s, domain::session::FromJson(parsed));
    if (!IsActive(s)) {
      break;
    }
    MNEME_TRY(auto identity_row, reads_.GetRow(projections::Identities::kName,
                                               projections::Identities::RowKey(s.identity_id)));
    if (!identity_row) {
      break;
    }
    MNEME_TRY(auto identity, domain::identity::FromJson(json::parse(*identity_row, nullptr, false)));
    if (identity.state != "active") {
      return MakeError(Code::kPermissionDenied, "This account was disabled.");
    }
    auto render = std::make_shared<CachedRender>();
    render->session_row = std::move(*session_row);
    render->identity_row = std::move(*identity_row);
    render->expires_at = s.expires_at.micros;
    render->identity_id = identity.id;
    render->body = Render(s, &identity, true).dump(-1, ' ', false, json::error_handler_t::replace);
    WhoamiAnswer answer{render->identity_id, render->body};
    {
      std::lock_guard lock(shard.mu);
      if (shard.entries.size() >= kCachePerShard) {
        shard.entries.erase(shard.entries.begin());  // any victim: a cache, not a record
      }
      shard.entries[*sid] = std::move(render);
    }
    return answer;
  }
  return MakeError(Code::kUnauthenticated, kNoSession);
}

Result<std::string> SessionService::SessionOfLogoutToken(std::string_view logout_token) {
  if (!logout_token.empty() && logout_token.size() <= 256) {
    for (const auto& hash : hasher_.Candidates(logout_token)) {
      MNEME_TRY(auto sid, reads_.GetRow(projections::Sessions::kName,
                                        projections::Sessions::LogoutKey(hash)));
      if (sid) {
        return *sid;
      }
    }
  }
  return MakeError(Code::kNotFound, "unknown logout token");
}

Result<Session> SessionService::Get(const std::string& session_id) {
  MNEME_TRY(auto s, ReadRow(reads_, session_id));
  if (!s) {
    return MakeError(Code::kNotFound, "Unable to locate the resource");
  }
  return std::move(*s);
}

Status SessionService::Revoke(const std::string& session_id, const std::string& reason,
                              const std::string& actor, const std::string& request_id) {
  MNEME_TRY(auto s, Get(session_id));
  return Execute(session_id, s, domain::session::RevokeSession{reason}, actor, request_id);
}

Result<int> SessionService::RevokeAllOf(const std::string& identity_id, const std::string& keep,
                                        const std::string& reason, const std::string& actor,
                                        const std::string& request_id) {
  MNEME_TRY(auto sessions, OfIdentity(identity_id, true));
  int count = 0;
  for (const auto& s : sessions) {
    if (s.id == keep) {
      continue;
    }
    MNEME_RETURN_IF_ERROR(
        Execute(s.id, s, domain::session::RevokeSession{reason}, actor, request_id));
    ++count;
  }
  return count;
}

Result<Session> SessionService::Extend(const std::string& session_id,
                                       const std::string& request_id) {
  MNEME_TRY(auto s, Get(session_id));
  if (!IsActive(s)) {
    return MakeError(Code::kNotFound, "Unable to locate the resource");
  }
  domain::session::ExtendSession c{clock_.Now(), options_.lifespan_micros,
                                   options_.earliest_possible_extend_micros};
  MNEME_TRY(auto events, domain::session::Decide(s, c));
  MNEME_RETURN_IF_ERROR(Execute(session_id, s, c, "admin", request_id));
  for (const auto& e : events) {
    s = domain::session::Evolve(std::move(s), e, c.now);
  }
  return s;
}

Result<std::vector<Session>> SessionService::OfIdentity(const std::string& identity_id,
                                                        std::optional<bool> active) {
  MNEME_TRY(auto rows, reads_.ScanRows(projections::Sessions::kName,
                                       projections::Sessions::IdentityPrefix(identity_id), "",
                                       100000));
  std::vector<Session> out;
  const size_t prefix = projections::Sessions::IdentityPrefix(identity_id).size();
  for (const auto& [key, unused] : rows) {
    MNEME_TRY(auto s, ReadRow(reads_, key.substr(prefix)));
    if (s && (!active || IsActive(*s) == *active)) {
      out.push_back(std::move(*s));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Session& a, const Session& b) { return a.issued_at < b.issued_at; });
  return out;
}

Result<SessionPage> SessionService::List(size_t page_size, const std::string& after,
                                         std::optional<bool> active) {
  SessionPage page;
  std::string start = after.empty() ? "s/" : projections::Sessions::RowKey(after) + '\x01';
  while (page.sessions.size() < page_size) {
    MNEME_TRY(auto rows, reads_.ScanRows(projections::Sessions::kName, "s/", start, 500));
    for (const auto& [key, value] : rows) {
      auto parsed = json::parse(value, nullptr, false);
      MNEME_TRY(auto s, domain::session::FromJson(parsed));
      start = key + '\x01';
      if (!active || IsActive(s) == *active) {
        page.sessions.push_back(std::move(s));
        if (page.sessions.size() == page_size) {
          break;
        }
      }
    }
    if (rows.size() < 500 && page.sessions.size() < page_size) {
      return page;
    }
  }
  // One more look: is there anything after this page?
  MNEME_TRY(auto more, reads_.ScanRows(projections::Sessions::kName, "s/", start, 1));
  if (!more.empty()) {
    page.next_after = page.sessions.back().id;
  }
  return page;
}

json SessionService::Render(const Session& s, const domain::identity::Identity* identity,
                            bool include_devices) const {
  json methods = json::array();
  for (const auto& m : s.methods) {
    methods.push_back(
        {{"method", m.method}, {"aal", m.aal}, {"completed_at", FormatRfc3339(m.completed_at)}});
  }
  json out = {{"id", s.id},
              {"active", IsActive(s) && (!identity || identity->state == "active")},
              {"expires_at", FormatRfc3339(s.expires_at)},
              {"authenticated_at", FormatRfc3339(s.authenticated_at)},
              {"authenticator_assurance_level", s.aal},
              {"authentication_methods", methods},
              {"issued_at", FormatRfc3339(s.issued_at)}};
  // Kratos: identity and devices are null unless loaded (expanded).
  out["identity"] = identity ? identities_.Render(*identity, {}, false) : json();
  out["devices"] = json();
  if (include_devices) {
    json devices = json::array();
    for (const auto& d : s.devices) {
      devices.push_back({{"id", d.id},
                         {"ip_address", d.ip_address},
                         {"user_agent", d.user_agent},
                         {"location", d.location}});
    }
    out["devices"] = devices;
  }
  return out;
}

}  // namespace mneme::api
