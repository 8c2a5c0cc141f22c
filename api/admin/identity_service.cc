#include "api/admin/identity_service.h"

#include <algorithm>

#include "domain/common/time.h"
#include "domain/common/uuid.h"
#include "domain/identity/identity_codec.h"
#include "domain/identity/schema_extension.h"
#include "infra/hash/formats.h"
#include "projections/identities.h"
#include "projections/identity_activity.h"

namespace mneme::api {

using domain::identity::Credential;
using domain::identity::Identity;
using nlohmann::json;

namespace {

constexpr const char* kConflictReason =
    "This identity conflicts with another identity that already exists.";

using common::IsUuid;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

Error BadRequest(std::string reason) { return Error(Code::kInvalidArgument, std::move(reason)); }

// Only the keys Kratos's strict decoder accepts.
Status CheckKeys(const json& body, std::initializer_list<const char*> allowed) {
  if (!body.is_object()) {
    return tl::unexpected(BadRequest("The request body must be a JSON object."));
  }
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (std::none_of(allowed.begin(), allowed.end(),
                     [&](const char* k) { return it.key() == k; })) {
      return tl::unexpected(BadRequest("json: unknown field \"" + it.key() + "\""));
    }
  }
  return OkStatus();
}

json MessagesDetails(const std::vector<domain::identity::ValidationError>& errors) {
  json messages = json::array();
  for (const auto& e : errors) {
    messages.push_back({{"instance_ptr", "#" + e.instance_ptr},
                        {"messages", json::array({{{"id", e.message_id},
                                                   {"text", e.text},
                                                   {"type", "error"},
                                                   {"context", e.context}}})}});
  }
  return {{"messages", messages}};
}

}  // namespace

struct IdentityService::Shaped {
  std::string schema_id;
  std::string state;
  json traits;
  json metadata_public;
  json metadata_admin;
  std::vector<domain::identity::VerifiableAddress> verifiable;
  std::vector<domain::identity::RecoveryAddress> recovery;
  std::vector<Credential> credentials;
  std::map<std::string, std::vector<std::string>> identifiers;
};

Result<IdentityService::Shaped> IdentityService::Shape(const json& body, const Identity& current,
                                                       bool is_create) {
  Shaped s;
  s.schema_id = body.contains("schema_id") && body["schema_id"].is_string()
                    ? body["schema_id"].get<std::string>()
                    : "";
  if (s.schema_id.empty()) {
    s.schema_id = is_create ? schemas_.default_id() : current.schema_id;
  }
  const SchemaEntry* schema = schemas_.Find(s.schema_id);
  if (!schema) {
    return tl::unexpected(BadRequest("The JSON Schema \"" + s.schema_id +
                                     "\" could not be found. Did you configure it?"));
  }
  s.schema_id = schema->id;
  s.state = body.contains("state") && body["state"].is_string() ? body["state"].get<std::string>()
                                                                  : (is_create ? "active" : current.state);
  if (s.state.empty()) {
    s.state = is_create ? "active" : current.state;
  }
  if (s.state != "active" && s.state != "inactive") {
    return tl::unexpected(BadRequest("identity state is not valid"));
  }
  s.traits = body.value("traits", json());
  if (!s.traits.is_object()) {
    return tl::unexpected(BadRequest("traits must be a JSON object"));
  }
  s.metadata_public = body.value("metadata_public", json());
  s.metadata_admin = body.value("metadata_admin", json());
  auto errors = schema->compiled.Validate(json{{"traits", s.traits}});
  if (!errors.empty()) {
    std::string reason = "The request was malformed or contained invalid parameters";
    reason = errors.front().text;
    return tl::unexpected(Error(Code::kInvalidArgument, reason).WithDetails(MessagesDetails(errors)));
  }
  const auto ext = domain::identity::ExtractExtension(schema->compiled, s.traits);
  const auto now = clock_.Now();

  // Addresses: from the schema; imported verification status kept.
  std::vector<std::pair<std::string, std::string>> wanted_v, wanted_r;
  for (const auto& a : ext.verifiable) {
    wanted_v.emplace_back(Lower(a.value), a.via);
  }
  for (const auto& a : ext.recovery) {
    wanted_r.emplace_back(Lower(a.value), a.via);
  }
  s.verifiable = domain::identity::MergeVerifiable(current.verifiable_addresses, wanted_v, ids_, now);
  s.recovery = domain::identity::MergeRecovery(current.recovery_addresses, wanted_r, ids_, now);
  if (body.contains("verifiable_addresses") && body["verifiable_addresses"].is_array()) {
    for (const auto& imported : body["verifiable_addresses"]) {
      if (!imported.is_object()) {
        return tl::unexpected(BadRequest("verifiable_addresses must hold objects"));
      }
      const std::string value = Lower(imported.value("value", ""));
      for (auto& a : s.verifiable) {
        if (a.value == value && a.via == imported.value("via", a.via)) {
          a.verified = imported.value("verified", a.verified);
          a.status = imported.value("status", a.verified ? "completed" : a.status);
          if (a.verified) {
            a.verified_at = now;
            if (imported.contains("verified_at") && imported["verified_at"].is_string()) {
              if (auto t = ParseRfc3339(imported["verified_at"].get<std::string>())) {
                a.verified_at = *t;
              }
            }
          }
        }
      }
    }
  }

  // Credentials named in the body (import), hashed here: slow work before append.
  std::map<std::string, std::vector<std::string>> ids_by_type;
  ids_by_type["password"] = ext.identifiers.password;
  ids_by_type["webauthn"] = ext.identifiers.webauthn;
  ids_by_type["code"] = ext.identifiers.code;
  if (body.contains("credentials") && !body["credentials"].is_null()) {
    const json& creds = body["credentials"];
    if (!creds.is_object()) {
      return tl::unexpected(BadRequest("credentials must be an object"));
    }
    MNEME_RETURN_IF_ERROR(CheckKeys(creds, {"password", "oidc"}));
    if (creds.contains("password") && !creds["password"].is_null()) {
      const json cfg = creds["password"].value("config", json::object());
      Credential c;
      c.type = "password";
      c.identifiers = ids_by_type["password"];
      const std::string hashed = cfg.value("hashed_password", "");
      const std::string plain = cfg.value("password", "");
      if (!hashed.empty()) {
        if (!infra::hash::DetectHashFormat(hashed)) {
          return tl::unexpected(BadRequest("The password hash format is not supported."));
        }
        c.config = {{"hashed_password", hashed}};
      } else if (!plain.empty()) {
        MNEME_TRY(auto hash, hasher_.Hash(plain));
        c.config = {{"hashed_password", hash}};
      } else if (cfg.value("use_password_migration_hook", false)) {
        c.config = {{"use_password_migration_hook", true}};
      } else {
        return tl::unexpected(BadRequest("credentials.password.config needs password or hashed_password"));
      }
      s.credentials.push_back(std::move(c));
    }
    if (creds.contains("oidc") && !creds["oidc"].is_null()) {
      const json cfg = creds["oidc"].value("config", json::object());
      Credential c;
      c.type = "oidc";
      json providers = json::array();
      for (const auto& p : cfg.value("providers", json::array())) {
        const std::string provider = p.value("provider", ""), subject = p.value("subject", "");
        if (provider.empty() || subject.empty()) {
          return tl::unexpected(BadRequest("oidc providers need provider and subject"));
        }
        c.identifiers.push_back(provider + ":" + subject);
        providers.push_back({{"provider", provider}, {"subject", subject}});
      }
      c.config = {{"providers", providers}};
      s.credentials.push_back(std::move(c));
    }
  }
  // Identifiers of credentials that follow the traits.
  for (const auto& [type, idents] : ids_by_type) {
    std::vector<std::string> sorted = idents;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    s.identifiers[type] = sorted;
    for (auto& c : s.credentials) {
      if (c.type == type) {
        c.identifiers = sorted;
      }
    }
  }
  return s;
}

Result<Identity> IdentityService::Load(const std::string& id) {
  if (!IsUuid(id)) {
    return MakeError(Code::kNotFound, "Unable to locate the resource");
  }
  MNEME_TRY(auto row, reads_.GetRow(projections::Identities::kName,
                                     projections::Identities::RowKey(Lower(id))));
  if (!row) {
    return MakeError(Code::kNotFound, "Unable to locate the resource");
  }
  auto parsed = json::parse(*row, nullptr, false);
  return domain::identity::FromJson(parsed);
}

Result<Identity> IdentityService::Execute(const std::string& id, const Identity& current,
                                          const domain::identity::Command& command,
                                          const std::string& actor,
                                          const std::string& request_id) {
  MNEME_TRY(auto events, domain::identity::Decide(current, command));
  if (events.empty()) {
    return current;
  }
  const auto now = clock_.Now();
  Identity after = current;
  after.id = id;
  for (const auto& e : events) {
    after = domain::identity::Evolve(after, e, now);
  }
  domain::AppendRequest req;
  req.stream = domain::identity::StreamOf(id);
  req.expected = current.exists ? domain::ExpectedVersion::Any() : domain::ExpectedVersion::NoStream();
  if (current.exists) {
    MNEME_TRY(auto key_op, cipher_.EnsureKey(id));
    if (key_op) {
      req.data_keys.push_back(*key_op);
    }
  } else {
    MNEME_TRY(auto key_op, cipher_.CreateKey(id));
    req.data_keys.push_back(std::move(key_op));
  }
  for (const auto& e : events) {
    auto enc = domain::identity::Encode(e);
    MNEME_TRY(auto data, domain::SealEventData(cipher_, id, enc.plain, enc.personal));
    req.events.push_back(
        domain::NewEvent{enc.type, enc.schema, now, actor, request_id, std::move(data), e});
  }
  req.claims = domain::identity::ClaimChanges(current, after);
  auto appended = store_.Append(std::move(req));
  if (!appended) {
    if (appended.error().code() == Code::kAlreadyExists) {
      return MakeError(Code::kAlreadyExists, kConflictReason);
    }
    return tl::unexpected(appended.error());
  }
  return after;
}

Result<Identity> IdentityService::Create(const json& body, const std::string& actor,
                                         const std::string& request_id) {
  MNEME_RETURN_IF_ERROR(CheckKeys(body, {"schema_id", "traits", "credentials", "verifiable_addresses",
                                         "recovery_addresses", "metadata_public", "metadata_admin",
                                         "state", "organization_id", "external_id"}));
  Identity fresh;
  fresh.id = ids_.NewUuid();
  MNEME_TRY(auto s, Shape(body, fresh, true));
  domain::identity::CreateIdentity cmd{s.schema_id, s.state, s.traits, s.metadata_public,
                                       s.metadata_admin, s.verifiable, s.recovery, s.credentials};
  return Execute(fresh.id, fresh, cmd, actor, request_id);
}

Result<Identity> IdentityService::Get(const std::string& id) { return Load(id); }

Result<ListResult> IdentityService::List(const ListQuery& q) {
  ListResult out;
  if (!q.credentials_identifier.empty()) {
    const std::string ident = domain::identity::NormalizeIdentifier(q.credentials_identifier);
    std::set<std::string> found;
    for (const char* type : {"password", "code", "webauthn", "oidc"}) {
      MNEME_TRY(auto owner, reads_.GetRow(projections::Identities::kName,
                                           projections::Identities::CredentialKey(type, ident)));
      if (owner && found.insert(*owner).second) {
        MNEME_TRY(auto identity, Load(*owner));
        out.identities.push_back(std::move(identity));
      }
    }
    return out;
  }
  if (!q.ids.empty()) {
    for (const auto& id : q.ids) {
      auto identity = Load(id);
      if (identity) {
        out.identities.push_back(std::move(*identity));
      } else if (identity.error().code() != Code::kNotFound) {
        return tl::unexpected(identity.error());
      }
    }
    return out;
  }
  const std::string start = q.after_id.empty() ? "i/" : projections::Identities::RowKey(q.after_id) + '\x01';
  MNEME_TRY(auto rows, reads_.ScanRows(projections::Identities::kName, "i/", start, q.page_size + 1));
  for (size_t i = 0; i < rows.size() && i < q.page_size; ++i) {
    auto parsed = json::parse(rows[i].second, nullptr, false);
    MNEME_TRY(auto identity, domain::identity::FromJson(parsed));
    out.identities.push_back(std::move(identity));
  }
  if (rows.size() > q.page_size) {
    out.next_after = out.identities.back().id;
  }
  return out;
}

Result<Identity> IdentityService::Update(const std::string& id, const json& body,
                                         const std::string& actor, const std::string& request_id) {
  MNEME_TRY(auto current, Load(id));
  MNEME_RETURN_IF_ERROR(CheckKeys(body, {"schema_id", "traits", "credentials", "metadata_public",
                                         "metadata_admin", "state", "organization_id", "external_id"}));
  MNEME_TRY(auto s, Shape(body, current, false));
  domain::identity::UpdateIdentity cmd{s.schema_id, s.state, s.traits, s.metadata_public,
                                       s.metadata_admin, s.verifiable, s.recovery, s.credentials,
                                       s.identifiers};
  return Execute(current.id, current, cmd, actor, request_id);
}

Result<Identity> IdentityService::Patch(const std::string& id, const json& patch,
                                        const std::string& actor, const std::string& request_id) {
  MNEME_TRY(auto current, Load(id));
  if (!patch.is_array()) {
    return tl::unexpected(BadRequest("A JSON Patch document must be an array of operations."));
  }
  static const char* kProtected[] = {"/id", "/stateChangedAt", "/state_changed_at", "/credentials",
                                     "/created_at", "/updated_at", "/schema_url"};
  for (const auto& op : patch) {
    if (!op.is_object() || !op.contains("op") || !op.contains("path") || !op["path"].is_string()) {
      return tl::unexpected(BadRequest("Each JSON Patch operation needs op and path."));
    }
    for (const char* key : {"path", "from"}) {
      if (!op.contains(key) || !op[key].is_string()) {
        continue;
      }
      const std::string path = op[key].get<std::string>();
      for (const char* p : kProtected) {
        const std::string prefix(p);
        if (path == prefix || path.rfind(prefix + "/", 0) == 0) {
          return tl::unexpected(BadRequest("patch includes denied path: " + path));
        }
      }
    }
  }
  json doc = Render(current, {}, true);
  json patched;
  try {
    patched = doc.patch(patch);
  } catch (const json::exception& e) {
    return tl::unexpected(BadRequest(std::string("The JSON Patch could not be applied: ") + e.what()));
  }
  json body = {{"schema_id", patched.value("schema_id", current.schema_id)},
               {"traits", patched.value("traits", json())},
               {"state", patched.value("state", current.state)},
               {"metadata_public", patched.value("metadata_public", json())},
               {"metadata_admin", patched.value("metadata_admin", json())}};
  if (!body["state"].is_string()) {
    return tl::unexpected(BadRequest("identity state is not valid"));
  }
  MNEME_TRY(auto s, Shape(body, current, false));
  domain::identity::UpdateIdentity cmd{s.schema_id, s.state, s.traits, s.metadata_public,
                                       s.metadata_admin, s.verifiable, s.recovery, {},
                                       s.identifiers};
  return Execute(current.id, current, cmd, actor, request_id);
}

Result<Identity> IdentityService::VerifyAddress(const std::string& id, const std::string& value,
                                                const std::string& actor,
                                                const std::string& request_id) {
  MNEME_TRY(auto current, Load(id));
  for (const auto& a : current.verifiable_addresses) {
    if (a.value == value) {
      return Execute(id, current, domain::identity::VerifyAddress{a.id}, actor, request_id);
    }
  }
  return MakeError(Code::kNotFound, "verifiable address not found");
}

Result<std::optional<Identity>> IdentityService::FindByAddress(const std::string& kind,
                                                               const std::string& value) {
  MNEME_TRY(auto owner, store_.ClaimOwner("address." + kind + ".email", value));
  if (!owner || owner->rfind("identity-", 0) != 0) {
    return std::optional<Identity>();
  }
  auto identity = Load(owner->substr(9));
  if (!identity) {
    if (identity.error().code() == Code::kNotFound) {
      return std::optional<Identity>();
    }
    return tl::unexpected(identity.error());
  }
  return std::optional<Identity>(std::move(*identity));
}

Status IdentityService::Delete(const std::string& id, const std::string& actor,
                               const std::string& request_id) {
  MNEME_TRY(auto current, Load(id));
  MNEME_TRY(auto done, Execute(current.id, current, domain::identity::DeleteIdentity{}, actor, request_id));
  (void)done;
  return OkStatus();
}

Status IdentityService::Erase(const std::string& id, const std::string& actor,
                              const std::string& request_id) {
  if (!IsUuid(id)) {
    return MakeError(Code::kNotFound, "Unable to locate the resource");
  }
  const std::string lower = Lower(id);
  MNEME_TRY(auto events, store_.ReadStream(domain::identity::StreamOf(lower), StreamVersion(1)));
  Identity current;
  current.id = lower;
  for (const auto& e : events) {
    MNEME_TRY(current, projections::Identities::Fold(cipher_, current, e));
  }
  // The self-service flows of this person hold what they typed (sealed with
  // each flow's own key): those keys go too.
  std::vector<std::string> flow_owners;
  auto activity = reads_.ScanRows(projections::IdentityActivity::kName,
                                  projections::IdentityActivity::Prefix(lower), "", SIZE_MAX);
  if (!activity && activity.error().code() != Code::kNotFound) {
    return tl::unexpected(activity.error());
  }
  if (activity) {
    for (const auto& [key, stream] : *activity) {
      if (stream.rfind("flow-", 0) == 0 &&
          std::find(flow_owners.begin(), flow_owners.end(), stream) == flow_owners.end()) {
        flow_owners.push_back(stream);
      }
    }
  }
  MNEME_TRY(auto decided, domain::identity::Decide(current, domain::identity::EraseIdentity{}));
  const auto now = clock_.Now();
  Identity after = current;
  domain::AppendRequest req;
  req.stream = domain::identity::StreamOf(lower);
  req.expected = domain::ExpectedVersion::Exact(events.size());
  for (const auto& e : decided) {
    after = domain::identity::Evolve(after, e, now);
    auto enc = domain::identity::Encode(e);
    if (enc.type == domain::identity::IdentityErased::kType) {
      // Which data keys this erasure destroys: the Kafka relay turns each into
      // a tombstone on the keys topic.
      nlohmann::json keys = nlohmann::json::array({lower});
      for (const auto& owner : flow_owners) {
        keys.push_back(owner);
      }
      enc.plain["data_keys"] = keys;
    }
    MNEME_TRY(auto data, domain::SealEventData(cipher_, lower, enc.plain, enc.personal));
    req.events.push_back(
        domain::NewEvent{enc.type, enc.schema, now, actor, request_id, std::move(data), e});
  }
  req.claims = domain::identity::ClaimChanges(current, after);
  req.data_keys.push_back(domain::DataKeyOp{domain::DataKeyAction::kDelete, lower, ""});
  for (const auto& owner : flow_owners) {
    req.data_keys.push_back(domain::DataKeyOp{domain::DataKeyAction::kDelete, owner, ""});
  }
  MNEME_TRY(auto appended, store_.Append(std::move(req)));
  (void)appended;
  cipher_.Forget(lower);
  for (const auto& owner : flow_owners) {
    cipher_.Forget(owner);
  }
  return store_.CompactDeleted();
}

Status IdentityService::DeleteCredential(const std::string& id, const std::string& type,
                                         const std::string& actor, const std::string& request_id) {
  MNEME_TRY(auto current, Load(id));
  MNEME_TRY(auto done, Execute(current.id, current, domain::identity::RemoveCredential{type}, actor,
                               request_id));
  (void)done;
  return OkStatus();
}

Result<domain::identity::PasswordCheck> IdentityService::CheckPassword(
    const std::string& id, std::string_view password, const std::string& request_id) {
  MNEME_TRY(auto current, Load(id));
  auto it = current.credentials.find("password");
  if (it == current.credentials.end() || !it->second.config.contains("hashed_password")) {
    return MakeError(Code::kNotFound, "the identity has no password credential");
  }
  const std::string stored = it->second.config["hashed_password"].get<std::string>();
  MNEME_TRY(auto check, hasher_.Verify(password, stored));
  if (check == domain::identity::PasswordCheck::kMatch && hasher_.NeedsRehash(stored)) {
    if (auto fresh = hasher_.Hash(password)) {
      json config = it->second.config;
      config["hashed_password"] = *fresh;
      auto rehashed = Execute(current.id, current,
                              domain::identity::SetCredentialConfig{"password", config},
                              current.id, request_id);
      if (!rehashed) {
        // Deliberately ignored: the old hash stays valid and the next login retries.
        rehashed.error().IgnoreError();
      }
    }
  }
  return check;
}

json IdentityService::Render(const Identity& i, const std::vector<std::string>& include,
                             bool include_admin_metadata) const {
  json verifiable = json::array();
  for (const auto& a : i.verifiable_addresses) {
    json j = {{"id", a.id}, {"value", a.value}, {"verified", a.verified}, {"via", a.via},
              {"status", a.status}, {"created_at", FormatRfc3339(a.created_at)},
              {"updated_at", FormatRfc3339(a.updated_at)}};
    if (a.verified_at) {
      j["verified_at"] = FormatRfc3339(*a.verified_at);
    }
    verifiable.push_back(j);
  }
  json recovery = json::array();
  for (const auto& a : i.recovery_addresses) {
    recovery.push_back({{"id", a.id}, {"value", a.value}, {"via", a.via},
                        {"created_at", FormatRfc3339(a.created_at)},
                        {"updated_at", FormatRfc3339(a.updated_at)}});
  }
  json out = {{"id", i.id},
              {"schema_id", i.schema_id},
              {"schema_url", schemas_.SchemaUrl(i.schema_id)},
              {"state", i.state},
              {"traits", i.traits},
              {"verifiable_addresses", verifiable},
              {"recovery_addresses", recovery},
              {"metadata_public", i.metadata_public},
              {"organization_id", nullptr},
              {"created_at", FormatRfc3339(i.created_at)},
              {"updated_at", FormatRfc3339(i.updated_at)}};
  if (i.state_changed_at) {
    out["state_changed_at"] = FormatRfc3339(*i.state_changed_at);
  }
  if (include_admin_metadata) {
    out["metadata_admin"] = i.metadata_admin;
  }
  if (!include.empty()) {
    json creds = json::object();
    for (const auto& [type, c] : i.credentials) {
      if (std::find(include.begin(), include.end(), type) == include.end()) {
        continue;
      }
      json config = c.config;
      if (type == "password") {
        config.erase("hashed_password");  // a password hash never leaves the server
      }
      creds[type] = {{"type", type}, {"identifiers", c.identifiers}, {"config", config},
                     {"version", c.version}, {"created_at", FormatRfc3339(c.created_at)},
                     {"updated_at", FormatRfc3339(c.updated_at)}};
    }
    out["credentials"] = creds;
  }
  return out;
}

}  // namespace mneme::api
