// Identities: the identity read model (identities_v1), folded from
// identity-* streams. Rows:
//   "i/<uuid>"                -> the identity as JSON (identity_codec ToJson), plaintext
//   "c/<type>/<identifier>"   -> <uuid>  (lookup by credential identifier)
// Keys "i/..." in uuid order are the listing order for keyset pagination.
// Deleted identities leave no row. Stateless apart from the cipher: safe on
// the writer and a rebuild thread at once.
#pragma once

#include <optional>
#include <string>

#include "domain/event/personal_data.h"
#include "domain/event/projection.h"
#include "domain/identity/identity.h"

namespace mneme::projections {

class Identities final : public domain::Projection {
 public:
  static constexpr const char* kName = "identities_v1";
  explicit Identities(domain::PersonalDataCipher& cipher) : cipher_(cipher) {}
  std::string Name() const override { return kName; }
  Status Apply(const domain::EventEnvelope& event, domain::ProjectionWriter& rows) override;

  static std::string RowKey(const std::string& id) { return "i/" + id; }
  static std::string CredentialKey(const std::string& type, const std::string& identifier) {
    return "c/" + type + "/" + identifier;
  }

  // Folds one identity event onto a state (used by the projection and by
  // services that read a stream). Errors: kDataLoss.
  static Result<domain::identity::Identity> Fold(domain::PersonalDataCipher& cipher,
                                                 domain::identity::Identity state,
                                                 const domain::EventEnvelope& event);

 private:
  domain::PersonalDataCipher& cipher_;
};

}  // namespace mneme::projections
