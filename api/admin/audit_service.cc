#include "api/admin/audit_service.h"

#include <algorithm>

#include "domain/common/time.h"
#include "domain/common/uuid.h"
#include "domain/identity/identity_codec.h"

namespace mneme::api {

using domain::identity::Identity;
using nlohmann::json;

namespace {

using common::IsUuid;

// The identity without volatile or secret parts, for diffs: credentials by
// type with their identifiers only.
json AuditView(const IdentityService& identities, const Identity& i) {
  if (!i.exists || i.deleted) {
    return json::object();
  }
  json doc = identities.Render(i, {}, true);
  doc.erase("updated_at");
  doc.erase("schema_url");
  json creds = json::object();
  for (const auto& [type, c] : i.credentials) {
    creds[type] = {{"identifiers", c.identifiers}, {"version", c.version}};
  }
  doc["credentials"] = creds;
  return doc;
}

// The top-level keys of the audit view an event type can change; empty means
// the whole view (creation, deletion, unknown types).
std::vector<std::string> KeysChangedBy(const std::string& type) {
  using namespace domain::identity;
  if (type == TraitsUpdated::kType) {
    return {"schema_id", "traits", "verifiable_addresses", "recovery_addresses"};
  }
  if (type == StateChanged::kType) {
    return {"state", "state_changed_at"};
  }
  if (type == MetadataPublicUpdated::kType) {
    return {"metadata_public"};
  }
  if (type == MetadataAdminUpdated::kType) {
    return {"metadata_admin"};
  }
  if (type == CredentialSet::kType || type == CredentialRemoved::kType) {
    return {"credentials"};
  }
  if (type == AddressVerified::kType) {
    return {"verifiable_addresses"};
  }
  return {};
}

// The part of the audit view under `keys`, rendering only what it needs.
json PartialView(const IdentityService& identities, const Identity& i,
                 const std::vector<std::string>& keys) {
  if (keys.empty() || !i.exists || i.deleted) {
    return AuditView(identities, i);
  }
  const bool needs_full = std::any_of(keys.begin(), keys.end(), [](const std::string& k) {
    return k == "verifiable_addresses" || k == "recovery_addresses";
  });
  json full = needs_full ? AuditView(identities, i) : json();
  json out = json::object();
  for (const auto& k : keys) {
    if (needs_full) {
      out[k] = full.value(k, json());
    } else if (k == "state") {
      out[k] = i.state;
    } else if (k == "state_changed_at") {
      out[k] = i.state_changed_at ? json(FormatRfc3339(*i.state_changed_at)) : json();
    } else if (k == "metadata_public") {
      out[k] = i.metadata_public;
    } else if (k == "metadata_admin") {
      out[k] = i.metadata_admin;
    } else if (k == "credentials") {
      json creds = json::object();
      for (const auto& [type, c] : i.credentials) {
        creds[type] = {{"identifiers", c.identifiers}, {"version", c.version}};
      }
      out[k] = creds;
    }
  }
  return out;
}

struct Folded {
  Identity state;
  bool erased = false;
};

Result<Folded> FoldOne(domain::PersonalDataCipher& cipher, Identity state,
                       const domain::EventEnvelope& event) {
  const std::string id = event.stream.substr(9);
  MNEME_TRY(auto data, domain::OpenEventData(cipher, id, event.data));
  MNEME_TRY(auto decoded,
            domain::identity::Decode(event.type, event.schema, data.plain, data.personal));
  state.id = id;
  return Folded{domain::identity::Evolve(std::move(state), decoded, event.time), data.erased};
}

}  // namespace

Result<HistoryPage> AuditService::History(const std::string& id, uint64_t from_version,
                                          size_t limit) {
  if (!IsUuid(id)) {
    return MakeError(Code::kNotFound, "Unable to locate the resource");
  }
  MNEME_TRY(auto events, store_.ReadStream(domain::identity::StreamOf(id), StreamVersion(1)));
  if (events.empty()) {
    return MakeError(Code::kNotFound, "Unable to locate the resource");
  }
  HistoryPage page;
  Identity state;
  for (const auto& e : events) {
    if (e.version.value() >= from_version && page.events.size() == limit) {
      page.next_version = e.version.value();
      break;
    }
    const bool listed = e.version.value() >= from_version;
    const auto keys = KeysChangedBy(e.type);
    json before_view = listed ? PartialView(identities_, state, keys) : json();
    MNEME_TRY(auto folded, FoldOne(cipher_, std::move(state), e));
    if (listed) {
      json item = {{"position", e.position.value()},
                   {"version", e.version.value()},
                   {"type", e.type},
                   {"time", FormatRfc3339(e.time)},
                   {"actor", e.actor},
                   {"request_id", e.request_id}};
      if (folded.erased) {
        item["erased"] = true;
        item["changes"] = nullptr;
      } else {
        item["changes"] = json::diff(before_view, PartialView(identities_, folded.state, keys));
      }
      page.events.push_back(std::move(item));
    }
    state = std::move(folded.state);
  }
  return page;
}

Result<json> AuditService::At(const std::string& id, domain::Timestamp at) {
  if (!IsUuid(id)) {
    return MakeError(Code::kNotFound, "Unable to locate the resource");
  }
  MNEME_TRY(auto events, store_.ReadStream(domain::identity::StreamOf(id), StreamVersion(1)));
  Identity state;
  bool erased = false;
  for (const auto& e : events) {
    if (e.time > at) {
      break;
    }
    MNEME_TRY(auto folded, FoldOne(cipher_, std::move(state), e));
    state = std::move(folded.state);
    erased = erased || folded.erased;
  }
  if (!state.exists || state.deleted) {
    return MakeError(Code::kNotFound, "The identity did not exist at " + FormatRfc3339(at));
  }
  json doc = identities_.Render(state, {}, true);
  if (erased) {
    doc["erased"] = true;
  }
  return doc;
}

}  // namespace mneme::api
