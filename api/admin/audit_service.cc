#include "api/admin/audit_service.h"

#include "domain/common/time.h"
#include "domain/identity/identity_codec.h"

namespace mneme::api {

using domain::identity::Identity;
using nlohmann::json;

namespace {

bool IsUuid(const std::string& s) {
  if (s.size() != 36) {
    return false;
  }
  for (size_t i = 0; i < 36; ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-') || (!dash && !std::isxdigit(static_cast<unsigned char>(s[i])))) {
      return false;
    }
  }
  return true;
}

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
  json before_view = json::object();  // the view of `state`, kept to diff against
  bool before_view_valid = true;
  for (const auto& e : events) {
    MNEME_TRY(auto folded, FoldOne(cipher_, state, e));
    if (e.version.value() >= from_version) {
      if (page.events.size() == limit) {
        page.next_version = e.version.value();
        break;
      }
      if (!before_view_valid) {
        before_view = AuditView(identities_, state);
      }
      json item = {{"position", e.position.value()},
                   {"version", e.version.value()},
                   {"type", e.type},
                   {"time", FormatRfc3339(e.time)},
                   {"actor", e.actor},
                   {"request_id", e.request_id}};
      json after_view = AuditView(identities_, folded.state);
      if (folded.erased) {
        item["erased"] = true;
        item["changes"] = nullptr;
      } else {
        item["changes"] = json::diff(before_view, after_view);
      }
      page.events.push_back(std::move(item));
      before_view = std::move(after_view);
      before_view_valid = true;
    } else {
      before_view_valid = false;
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
    MNEME_TRY(auto folded, FoldOne(cipher_, state, e));
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
