// The identity aggregate: state, events, commands, and the pure Decide/Evolve
// rules. Stream: "identity-<uuid>". No I/O; thread-safe (value types).
//
// Personal data (traits, metadata, addresses, credential identifiers and
// configs) is kept apart from plain fields by the codec (identity_codec.h) so
// that infra can seal it with the identity's data key.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/common/clock.h"
#include "domain/common/result.h"
#include "domain/event/event.h"

namespace mneme::domain::identity {

struct VerifiableAddress {
  std::string id;
  std::string value;
  std::string via = "email";      // email | sms
  std::string status = "pending"; // pending | sent | completed
  bool verified = false;
  std::optional<Timestamp> verified_at;
  Timestamp created_at;
  Timestamp updated_at;
  bool operator==(const VerifiableAddress&) const = default;
};

struct RecoveryAddress {
  std::string id;
  std::string value;
  std::string via = "email";
  Timestamp created_at;
  Timestamp updated_at;
  bool operator==(const RecoveryAddress&) const = default;
};

struct Credential {
  std::string type;                      // password, oidc, totp, webauthn, code, ...
  std::vector<std::string> identifiers;  // normalized
  nlohmann::json config = nlohmann::json::object();
  int version = 0;
  Timestamp created_at;
  Timestamp updated_at;
  bool operator==(const Credential&) const = default;
};

struct Identity {
  std::string id;
  bool exists = false;
  bool deleted = false;
  bool erased = false;
  std::string schema_id;
  std::string state = "active";  // active | inactive
  std::optional<Timestamp> state_changed_at;
  nlohmann::json traits = nlohmann::json::object();
  nlohmann::json metadata_public;  // null when unset
  nlohmann::json metadata_admin;   // null when unset
  std::vector<VerifiableAddress> verifiable_addresses;
  std::vector<RecoveryAddress> recovery_addresses;
  std::map<std::string, Credential> credentials;
  Timestamp created_at;
  Timestamp updated_at;
  bool operator==(const Identity&) const = default;
};

// ---- Events (type names are permanent) ----
struct IdentityCreated {
  static constexpr const char* kType = "identity.created";
  std::string schema_id;
  std::string state;
  nlohmann::json traits, metadata_public, metadata_admin;
  std::vector<VerifiableAddress> verifiable_addresses;
  std::vector<RecoveryAddress> recovery_addresses;
};
struct TraitsUpdated {
  static constexpr const char* kType = "identity.traits_updated";
  std::string schema_id;
  nlohmann::json traits;
  std::vector<VerifiableAddress> verifiable_addresses;
  std::vector<RecoveryAddress> recovery_addresses;
};
struct StateChanged {
  static constexpr const char* kType = "identity.state_changed";
  std::string state;
};
struct MetadataPublicUpdated {
  static constexpr const char* kType = "identity.metadata_public_updated";
  nlohmann::json metadata;
};
struct MetadataAdminUpdated {
  static constexpr const char* kType = "identity.metadata_admin_updated";
  nlohmann::json metadata;
};
struct CredentialSet {
  static constexpr const char* kType = "identity.credential_set";
  Credential credential;  // timestamps taken from the event time
};
struct CredentialRemoved {
  static constexpr const char* kType = "identity.credential_removed";
  std::string type;
};
struct AddressVerified {
  static constexpr const char* kType = "identity.address_verified";
  std::string address_id;
};
struct IdentityDeleted {
  static constexpr const char* kType = "identity.deleted";
};
// The identity's data key was destroyed: its personal data in the log can no
// longer be read (crypto-shredding). Always after identity.deleted.
struct IdentityErased {
  static constexpr const char* kType = "identity.erased";
};

using Event = std::variant<IdentityCreated, TraitsUpdated, StateChanged, MetadataPublicUpdated,
                           MetadataAdminUpdated, CredentialSet, CredentialRemoved,
                           AddressVerified, IdentityDeleted, IdentityErased>;

std::string TypeOf(const Event& e);

// ---- Commands ----
// What an admin create/import carries, after the service validated the
// traits and derived addresses and credential identifiers from the schema.
struct CreateIdentity {
  std::string schema_id;
  std::string state = "active";
  nlohmann::json traits;
  nlohmann::json metadata_public;
  nlohmann::json metadata_admin;
  std::vector<VerifiableAddress> verifiable_addresses;
  std::vector<RecoveryAddress> recovery_addresses;
  std::vector<Credential> credentials;
};
// A full replacement (PUT, or PATCH after applying the JSON Patch).
// `credentials` replaces the credentials it names; others are kept.
struct UpdateIdentity {
  std::string schema_id;
  std::string state;
  nlohmann::json traits;
  nlohmann::json metadata_public;
  nlohmann::json metadata_admin;
  std::vector<VerifiableAddress> verifiable_addresses;
  std::vector<RecoveryAddress> recovery_addresses;
  std::vector<Credential> credentials;
  // Identifiers of credentials that follow the traits (password, code,
  // webauthn), recomputed from the new traits by the service.
  std::map<std::string, std::vector<std::string>> identifiers;
};
struct RemoveCredential {
  std::string type;
};
// Replaces one credential's config (a rehashed password, say); keeps its
// identifiers. Errors: kNotFound when the identity has no such credential.
struct SetCredentialConfig {
  std::string type;
  nlohmann::json config;
};
struct VerifyAddress {
  std::string address_id;
};
struct DeleteIdentity {};
// Delete (if not yet deleted) and crypto-shred. Errors: kNotFound (never
// existed, or already erased).
struct EraseIdentity {};

using Command = std::variant<CreateIdentity, UpdateIdentity, RemoveCredential, SetCredentialConfig,
                             VerifyAddress, DeleteIdentity, EraseIdentity>;

// Errors: kAlreadyExists (create on an existing id), kNotFound (anything
// else on a missing or deleted identity, or an unknown credential/address),
// kInvalidArgument (bad state value; removing a first-factor credential).
Result<std::vector<Event>> Decide(const Identity& state, const Command& command);

Identity Evolve(Identity state, const Event& event, Timestamp at);

// Uniqueness claims an identity holds: ("identifier.<type>", value),
// ("address.verifiable.<via>", value), ("address.recovery.<via>", value).
std::set<std::pair<std::string, std::string>> ClaimsOf(const Identity& identity);
// The claims to take and release when `before` becomes `after`.
std::vector<Claim> ClaimChanges(const Identity& before, const Identity& after);

// Keeps ids, statuses and verification of addresses that stay, and gives new
// ones fresh ids. `wanted` holds (value, via) pairs.
std::vector<VerifiableAddress> MergeVerifiable(const std::vector<VerifiableAddress>& existing,
                                               const std::vector<std::pair<std::string, std::string>>& wanted,
                                               IdGenerator& ids, Timestamp now);
std::vector<RecoveryAddress> MergeRecovery(const std::vector<RecoveryAddress>& existing,
                                           const std::vector<std::pair<std::string, std::string>>& wanted,
                                           IdGenerator& ids, Timestamp now);

std::string StreamOf(const std::string& identity_id);

}  // namespace mneme::domain::identity
