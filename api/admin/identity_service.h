// IdentityService: the admin identity use cases. Validates and shapes input
// (schema, traits, the ory.sh/kratos extension, credentials), decides with
// the pure aggregate, seals personal data and appends; reads come from the
// identities_v1 read model. Thread-safe (stateless over thread-safe ports).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/schemas.h"
#include "domain/common/clock.h"
#include "domain/event/event_store.h"
#include "domain/event/personal_data.h"
#include "domain/event/projection.h"
#include "domain/identity/identity.h"
#include "domain/identity/password_hasher.h"

namespace mneme::api {

struct ListQuery {
  size_t page_size = 250;
  std::string after_id;  // keyset: identities with id > after_id
  std::vector<std::string> ids;
  std::string credentials_identifier;
};

struct ListResult {
  std::vector<domain::identity::Identity> identities;
  std::string next_after;  // empty on the last page
};

class IdentityService {
 public:
  IdentityService(domain::EventStore& store, domain::ProjectionReader& reads,
                  domain::PersonalDataCipher& cipher, const SchemaRegistry& schemas,
                  domain::identity::PasswordHasher& hasher, domain::Clock& clock,
                  domain::IdGenerator& ids)
      : store_(store), reads_(reads), cipher_(cipher), schemas_(schemas), hasher_(hasher),
        clock_(clock), ids_(ids) {}

  // Body: Kratos's createIdentityBody. Errors: kInvalidArgument (with
  // details.messages for schema violations), kAlreadyExists (an identifier or
  // address held by another identity), kUnavailable.
  Result<domain::identity::Identity> Create(const nlohmann::json& body, const std::string& actor,
                                            const std::string& request_id);
  // Errors: kNotFound.
  Result<domain::identity::Identity> Get(const std::string& id);
  Result<ListResult> List(const ListQuery& query);
  // Body: Kratos's updateIdentityBody. Errors as Create, plus kNotFound.
  Result<domain::identity::Identity> Update(const std::string& id, const nlohmann::json& body,
                                            const std::string& actor, const std::string& request_id);
  // RFC 6902 patch of the identity's JSON. Errors: kInvalidArgument (bad patch,
  // protected path), as Update.
  Result<domain::identity::Identity> Patch(const std::string& id, const nlohmann::json& patch,
                                           const std::string& actor, const std::string& request_id);
  Status Delete(const std::string& id, const std::string& actor, const std::string& request_id);
  // Deletes (if needed) and crypto-shreds: the data key goes in the same
  // append as identity.erased, then the store compacts so no file keeps the
  // plaintext rows or claims. Works on an identity deleted earlier too.
  // Errors: kNotFound (never existed or already erased).
  Status Erase(const std::string& id, const std::string& actor, const std::string& request_id);
  Status DeleteCredential(const std::string& id, const std::string& type,
                          const std::string& actor, const std::string& request_id);

  // The password check of the login strategy (issue 4 calls it): verifies
  // `password` against the identity's stored hash, in constant time. On a
  // match whose hash is not of the configured algorithm and parameters, the
  // hash is replaced by a fresh one (identity.credential_set); if that fails
  // the old hash stays and the login still succeeds.
  // Errors: kNotFound (no identity or no password credential),
  // kInvalidArgument (stored hash in an unknown format).
  Result<domain::identity::PasswordCheck> CheckPassword(const std::string& id,
                                                        std::string_view password,
                                                        const std::string& request_id);

  // Marks the verifiable address `value` (normalized) of the identity
  // verified (identity.address_verified); a no-op when it is verified already.
  // Errors: kNotFound (no identity or no such address), kUnavailable.
  Result<domain::identity::Identity> VerifyAddress(const std::string& id, const std::string& value,
                                                   const std::string& actor,
                                                   const std::string& request_id);
  // The identity holding `value` as an address of `kind` ("verifiable" or
  // "recovery", via email), or nullopt. Errors: kUnavailable.
  Result<std::optional<domain::identity::Identity>> FindByAddress(const std::string& kind,
                                                                  const std::string& value);

  // The identity as Kratos renders it. include: credential types whose
  // entries to include (config without secrets: no password hash ever).
  nlohmann::json Render(const domain::identity::Identity& identity,
                        const std::vector<std::string>& include_credentials,
                        bool include_admin_metadata) const;

 private:
  struct Shaped;
  Result<Shaped> Shape(const nlohmann::json& body, const domain::identity::Identity& current,
                       bool is_create);
  Result<domain::identity::Identity> Load(const std::string& id);
  Result<domain::identity::Identity> Execute(const std::string& id,
                                             const domain::identity::Identity& current,
                                             const domain::identity::Command& command,
                                             const std::string& actor,
                                             const std::string& request_id);

  domain::EventStore& store_;
  domain::ProjectionReader& reads_;
  domain::PersonalDataCipher& cipher_;
  const SchemaRegistry& schemas_;
  domain::identity::PasswordHasher& hasher_;
  domain::Clock& clock_;
  domain::IdGenerator& ids_;
};

}  // namespace mneme::api
