#include "projections/identities.h"

#include "domain/identity/identity_codec.h"

namespace mneme::projections {

using domain::identity::Identity;

Result<Identity> Identities::Fold(domain::PersonalDataCipher& cipher, Identity state,
                                  const domain::EventEnvelope& event) {
  const std::string id = event.stream.substr(9);
  if (event.decoded) {
    if (const auto* decoded = std::any_cast<domain::identity::Event>(event.decoded)) {
      state.id = id;
      return domain::identity::Evolve(std::move(state), *decoded, event.time);
    }
  }
  MNEME_TRY(auto data, domain::OpenEventData(cipher, id, event.data));
  MNEME_TRY(auto decoded,
            domain::identity::Decode(event.type, event.schema, data.plain, data.personal));
  state.id = id;
  return domain::identity::Evolve(std::move(state), decoded, event.time);
}

Status Identities::Apply(const domain::EventEnvelope& event, domain::ProjectionWriter& rows) {
  if (event.stream.rfind("identity-", 0) != 0) {
    return OkStatus();
  }
  const std::string id = event.stream.substr(9);
  Identity before;
  before.id = id;
  // The state after this stream's previous event of the same append/chunk.
  std::any* scratch = rows.Scratch(RowKey(id));
  if (scratch && scratch->has_value()) {
    before = std::any_cast<const Identity&>(*scratch);
  } else {
    MNEME_TRY(auto row, rows.Get(RowKey(id)));
    if (row) {
      auto parsed = nlohmann::json::parse(*row, nullptr, false);
      MNEME_TRY(before, domain::identity::FromJson(parsed));
    }
  }
  MNEME_TRY(auto after, Fold(cipher_, before, event));
  if (scratch) {
    *scratch = after;
  }
  for (const auto& [type, cred] : before.credentials) {
    for (const auto& ident : cred.identifiers) {
      rows.Delete(CredentialKey(type, ident));
    }
  }
  // Deleted, or an event for an identity this model no longer holds (the
  // erasure of one deleted earlier): no row.
  if (after.deleted || !after.exists) {
    rows.Delete(RowKey(id));
    return OkStatus();
  }
  for (const auto& [type, cred] : after.credentials) {
    for (const auto& ident : cred.identifiers) {
      rows.Put(CredentialKey(type, ident), id);
    }
  }
  if (scratch) {
    // Serialized from the scratch slot (the latest state of this identity in
    // the chunk) when the rows are written: once per chunk in a replay.
    rows.PutLazy(RowKey(id), [scratch] {
      return domain::identity::ToJson(std::any_cast<const Identity&>(*scratch)).dump();
    });
  } else {
    rows.Put(RowKey(id), domain::identity::ToJson(after).dump());
  }
  return OkStatus();
}

}  // namespace mneme::projections
