#include "projections/sessions.h"

namespace mneme::projections {

using domain::session::Session;

Result<domain::session::Event> Sessions::DecodeEvent(domain::PersonalDataCipher& cipher,
                                                     const domain::EventEnvelope& event) {
  if (event.decoded) {
    if (const auto* decoded = std::any_cast<domain::session::Event>(event.decoded)) {
      return *decoded;
    }
  }
  MNEME_TRY(auto data, domain::OpenEventDataOwnedBy(cipher, "identity_id", event.data));
  return domain::session::Decode(event.type, data.plain, data.personal);
}

Status Sessions::RemoveIdentitySessions(const std::string& identity_id,
                                        domain::ProjectionWriter& rows) {
  const std::string prefix = IdentityPrefix(identity_id);
  MNEME_TRY(auto keys, rows.Keys(prefix, SIZE_MAX));
  for (const auto& key : keys) {
    const std::string sid = key.substr(prefix.size());
    MNEME_TRY(auto row, rows.Get(RowKey(sid)));
    if (row) {
      auto parsed = nlohmann::json::parse(*row, nullptr, false);
      MNEME_TRY(auto s, domain::session::FromJson(parsed));
      rows.Delete(TokenKey(s.token_hash));
      rows.Delete(LogoutKey(s.logout_token_hash));
      rows.Delete(RowKey(sid));
    }
    if (std::any* slot = rows.Scratch(RowKey(sid))) {
      slot->reset();  // a later event of this session must see it gone
    }
    rows.Delete(key);
  }
  return OkStatus();
}

Status Sessions::Apply(const domain::EventEnvelope& event, domain::ProjectionWriter& rows) {
  if (event.stream.rfind("identity-", 0) == 0) {
    if (event.type == "identity.deleted") {
      return RemoveIdentitySessions(event.stream.substr(9), rows);
    }
    return OkStatus();
  }
  if (event.stream.rfind("session-", 0) != 0) {
    return OkStatus();
  }
  const std::string sid = event.stream.substr(8);
  Session before;
  // The state after this session's previous event of the same append/chunk.
  std::any* scratch = rows.Scratch(RowKey(sid));
  if (scratch && scratch->has_value()) {
    before = std::any_cast<const Session&>(*scratch);
  } else {
    MNEME_TRY(auto row, rows.Get(RowKey(sid)));
    if (row) {
      auto parsed = nlohmann::json::parse(*row, nullptr, false);
      MNEME_TRY(before, domain::session::FromJson(parsed));
    } else if (event.type != domain::session::SessionIssued::kType) {
      return OkStatus();  // its identity was deleted: nothing to keep
    }
  }
  MNEME_TRY(auto decoded, DecodeEvent(cipher_, event));
  Session after = domain::session::Evolve(before, decoded, event.time);
  after.id = sid;
  if (after.revoked) {
    rows.Delete(TokenKey(after.token_hash));
    rows.Delete(LogoutKey(after.logout_token_hash));
  } else {
    rows.Put(TokenKey(after.token_hash), sid);
    rows.Put(LogoutKey(after.logout_token_hash), sid);
  }
  rows.Put(IdentityPrefix(after.identity_id) + sid, "");
  if (scratch) {
    *scratch = after;
    rows.PutLazy(RowKey(sid), [scratch] {
      return domain::session::ToJson(std::any_cast<const Session&>(*scratch)).dump();
    });
  } else {
    rows.Put(RowKey(sid), domain::session::ToJson(after).dump());
  }
  return OkStatus();
}

}  // namespace mneme::projections
