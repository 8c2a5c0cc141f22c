#include "domain/identity/identity_codec.h"

namespace mneme::domain::identity {
namespace {

using nlohmann::json;

template <class... Ts>
struct Overload : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overload(Ts...) -> Overload<Ts...>;

json TimeJson(Timestamp t) { return t.micros; }
Timestamp TimeFrom(const json& j) { return Timestamp{j.is_number() ? j.get<int64_t>() : 0}; }

json VerifiableJson(const std::vector<VerifiableAddress>& list) {
  json out = json::array();
  for (const auto& a : list) {
    json j = {{"id", a.id}, {"value", a.value}, {"via", a.via}, {"status", a.status},
              {"verified", a.verified}, {"created_at", TimeJson(a.created_at)},
              {"updated_at", TimeJson(a.updated_at)}};
    if (a.verified_at) {
      j["verified_at"] = TimeJson(*a.verified_at);
    }
    out.push_back(j);
  }
  return out;
}

std::vector<VerifiableAddress> VerifiableFrom(const json& j) {
  std::vector<VerifiableAddress> out;
  if (!j.is_array()) {
    return out;
  }
  for (const auto& a : j) {
    VerifiableAddress v;
    v.id = a.value("id", "");
    v.value = a.value("value", "");
    v.via = a.value("via", "email");
    v.status = a.value("status", "pending");
    v.verified = a.value("verified", false);
    if (a.contains("verified_at")) {
      v.verified_at = TimeFrom(a["verified_at"]);
    }
    v.created_at = TimeFrom(a.value("created_at", json()));
    v.updated_at = TimeFrom(a.value("updated_at", json()));
    out.push_back(v);
  }
  return out;
}

json RecoveryJson(const std::vector<RecoveryAddress>& list) {
  json out = json::array();
  for (const auto& a : list) {
    out.push_back({{"id", a.id}, {"value", a.value}, {"via", a.via},
                   {"created_at", TimeJson(a.created_at)}, {"updated_at", TimeJson(a.updated_at)}});
  }
  return out;
}

std::vector<RecoveryAddress> RecoveryFrom(const json& j) {
  std::vector<RecoveryAddress> out;
  if (!j.is_array()) {
    return out;
  }
  for (const auto& a : j) {
    RecoveryAddress r;
    r.id = a.value("id", "");
    r.value = a.value("value", "");
    r.via = a.value("via", "email");
    r.created_at = TimeFrom(a.value("created_at", json()));
    r.updated_at = TimeFrom(a.value("updated_at", json()));
    out.push_back(r);
  }
  return out;
}

json CredentialJson(const Credential& c) {
  return {{"type", c.type}, {"identifiers", c.identifiers}, {"config", c.config},
          {"version", c.version}, {"created_at", TimeJson(c.created_at)},
          {"updated_at", TimeJson(c.updated_at)}};
}

Credential CredentialFrom(const json& j) {
  Credential c;
  c.type = j.value("type", "");
  if (j.contains("identifiers") && j["identifiers"].is_array()) {
    c.identifiers = j["identifiers"].get<std::vector<std::string>>();
  }
  c.config = j.value("config", json::object());
  c.version = j.value("version", 0);
  c.created_at = TimeFrom(j.value("created_at", json()));
  c.updated_at = TimeFrom(j.value("updated_at", json()));
  return c;
}

json Or(const json& personal, const char* key, json fallback) {
  return personal.is_object() && personal.contains(key) ? personal[key] : fallback;
}

}  // namespace

EncodedEvent Encode(const Event& event) {
  EncodedEvent out;
  out.type = TypeOf(event);
  std::visit(Overload{
                 [&](const IdentityCreated& e) {
                   out.plain = {{"schema_id", e.schema_id}, {"state", e.state}};
                   out.personal = {{"traits", e.traits},
                                   {"metadata_public", e.metadata_public},
                                   {"metadata_admin", e.metadata_admin},
                                   {"verifiable_addresses", VerifiableJson(e.verifiable_addresses)},
                                   {"recovery_addresses", RecoveryJson(e.recovery_addresses)}};
                 },
                 [&](const TraitsUpdated& e) {
                   out.plain = {{"schema_id", e.schema_id}};
                   out.personal = {{"traits", e.traits},
                                   {"verifiable_addresses", VerifiableJson(e.verifiable_addresses)},
                                   {"recovery_addresses", RecoveryJson(e.recovery_addresses)}};
                 },
                 [&](const StateChanged& e) { out.plain = {{"state", e.state}}; },
                 [&](const MetadataPublicUpdated& e) { out.personal = {{"metadata", e.metadata}}; },
                 [&](const MetadataAdminUpdated& e) { out.personal = {{"metadata", e.metadata}}; },
                 [&](const CredentialSet& e) {
                   // The type and version are plain; identifiers and config
                   // (password hashes, OIDC subjects) are sealed.
                   out.plain = {{"type", e.credential.type}, {"version", e.credential.version}};
                   out.personal = {{"identifiers", e.credential.identifiers},
                                   {"config", e.credential.config}};
                 },
                 [&](const CredentialRemoved& e) { out.plain = {{"type", e.type}}; },
                 [&](const AddressVerified& e) { out.plain = {{"address_id", e.address_id}}; },
                 [&](const IdentityDeleted&) {},
                 [&](const IdentityErased&) {},
             },
             event);
  return out;
}

Result<Event> Decode(const std::string& type, uint32_t schema, const json& plain,
                     const json& personal) {
  if (schema != 1) {
    return MakeError(Code::kDataLoss, "no upcaster for " + type + " schema " + std::to_string(schema));
  }
  const json p = plain.is_object() ? plain : json::object();
  if (type == IdentityCreated::kType) {
    return Event{IdentityCreated{p.value("schema_id", ""), p.value("state", "active"),
                                 Or(personal, "traits", json::object()),
                                 Or(personal, "metadata_public", json()),
                                 Or(personal, "metadata_admin", json()),
                                 VerifiableFrom(Or(personal, "verifiable_addresses", json())),
                                 RecoveryFrom(Or(personal, "recovery_addresses", json()))}};
  }
  if (type == TraitsUpdated::kType) {
    return Event{TraitsUpdated{p.value("schema_id", ""), Or(personal, "traits", json::object()),
                               VerifiableFrom(Or(personal, "verifiable_addresses", json())),
                               RecoveryFrom(Or(personal, "recovery_addresses", json()))}};
  }
  if (type == StateChanged::kType) {
    return Event{StateChanged{p.value("state", "active")}};
  }
  if (type == MetadataPublicUpdated::kType) {
    return Event{MetadataPublicUpdated{Or(personal, "metadata", json())}};
  }
  if (type == MetadataAdminUpdated::kType) {
    return Event{MetadataAdminUpdated{Or(personal, "metadata", json())}};
  }
  if (type == CredentialSet::kType) {
    Credential c;
    c.type = p.value("type", "");
    c.version = p.value("version", 0);
    json ids = Or(personal, "identifiers", json::array());
    if (ids.is_array()) {
      for (const auto& i : ids) {
        if (i.is_string()) {
          c.identifiers.push_back(i.get<std::string>());
        }
      }
    }
    c.config = Or(personal, "config", json::object());
    return Event{CredentialSet{c}};
  }
  if (type == CredentialRemoved::kType) {
    return Event{CredentialRemoved{p.value("type", "")}};
  }
  if (type == AddressVerified::kType) {
    return Event{AddressVerified{p.value("address_id", "")}};
  }
  if (type == IdentityDeleted::kType) {
    return Event{IdentityDeleted{}};
  }
  if (type == IdentityErased::kType) {
    return Event{IdentityErased{}};
  }
  return MakeError(Code::kDataLoss, "unknown identity event type " + type);
}

json ToJson(const Identity& i) {
  json creds = json::object();
  for (const auto& [type, c] : i.credentials) {
    creds[type] = CredentialJson(c);
  }
  json out = {{"id", i.id},
              {"exists", i.exists},
              {"deleted", i.deleted},
              {"erased", i.erased},
              {"schema_id", i.schema_id},
              {"state", i.state},
              {"traits", i.traits},
              {"metadata_public", i.metadata_public},
              {"metadata_admin", i.metadata_admin},
              {"verifiable_addresses", VerifiableJson(i.verifiable_addresses)},
              {"recovery_addresses", RecoveryJson(i.recovery_addresses)},
              {"credentials", creds},
              {"created_at", TimeJson(i.created_at)},
              {"updated_at", TimeJson(i.updated_at)}};
  if (i.state_changed_at) {
    out["state_changed_at"] = TimeJson(*i.state_changed_at);
  }
  return out;
}

Result<Identity> FromJson(const json& j) {
  if (!j.is_object()) {
    return MakeError(Code::kDataLoss, "identity row is not an object");
  }
  Identity i;
  i.id = j.value("id", "");
  i.exists = j.value("exists", false);
  i.deleted = j.value("deleted", false);
  i.erased = j.value("erased", false);
  i.schema_id = j.value("schema_id", "");
  i.state = j.value("state", "active");
  i.traits = j.value("traits", json::object());
  i.metadata_public = j.value("metadata_public", json());
  i.metadata_admin = j.value("metadata_admin", json());
  i.verifiable_addresses = VerifiableFrom(j.value("verifiable_addresses", json()));
  i.recovery_addresses = RecoveryFrom(j.value("recovery_addresses", json()));
  if (j.contains("credentials") && j["credentials"].is_object()) {
    for (auto it = j["credentials"].begin(); it != j["credentials"].end(); ++it) {
      i.credentials[it.key()] = CredentialFrom(it.value());
    }
  }
  i.created_at = TimeFrom(j.value("created_at", json()));
  i.updated_at = TimeFrom(j.value("updated_at", json()));
  if (j.contains("state_changed_at")) {
    i.state_changed_at = TimeFrom(j["state_changed_at"]);
  }
  return i;
}

}  // namespace mneme::domain::identity
