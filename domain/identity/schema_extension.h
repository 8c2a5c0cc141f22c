// The `ory.sh/kratos` identity-schema extension: which traits are login
// identifiers, verifiable addresses and recovery addresses.
//
// ExtractExtension walks a compiled identity schema together with an
// identity's traits and collects the values of every trait whose schema
// carries an `ory.sh/kratos` block (Kratos's identity/extension_*.go).
// CheckIdentitySchema enforces the meta-schema rules Kratos applies when it
// loads an identity schema (embedx/identity_meta.schema.json and
// embedx/identity_extension.schema.json).
//
// Thread-safety: pure functions over immutable inputs.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/common/result.h"
#include "domain/identity/schema_validator.h"

namespace mneme::domain::identity {

// Values of traits marked as credentials identifiers, in schema-walk order
// without duplicates. password/webauthn/code are NormalizeIdentifier()ed
// (code identifiers with via "sms" become E.164 when they parse as a phone
// number); totp account names and passkey display names are kept verbatim.
struct CredentialIdentifiers {
  std::vector<std::string> password;
  std::vector<std::string> webauthn;
  std::vector<std::string> code;
  std::vector<std::string> passkey_display_name;
  std::vector<std::string> totp_account_name;
};

struct AddressRef {
  std::string value;  // normalised: e-mails trimmed and lower-cased, phone numbers E.164
  std::string via;    // "email" or "sms"

  friend bool operator==(const AddressRef&, const AddressRef&) = default;
};

struct TraitsExtension {
  CredentialIdentifiers identifiers;
  std::vector<AddressRef> verifiable;  // traits marked verification.via
  std::vector<AddressRef> recovery;    // traits marked recovery.via
  // (channel, address) of traits marked credentials.code.identifier with a via.
  std::vector<std::pair<std::string, std::string>> code_addresses;
};

// Collects the extension values from `traits` (the identity's "traits"
// object). A marked trait contributes its value when it is a string, or each
// string element when it is an array. Traits that do not validate against
// their schema still contribute; validate first to reject them.
TraitsExtension ExtractExtension(const CompiledSchema& schema, const nlohmann::json& traits);

// Kratos's identifier normalisation: surrounding Unicode white space trimmed,
// then lower-cased (ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic).
std::string NormalizeIdentifier(std::string_view value);

// "+" and the digits of a phone number that passes format "tel"; otherwise the
// trimmed input unchanged.
std::string NormalizePhoneNumber(std::string_view value);

// Checks the rules Kratos enforces on identity schemas:
//   * the schema compiles (CompiledSchema::Compile);
//   * the root has `properties.traits`, an object schema whose `type` (when
//     given) is "object" and whose `properties` has at least one entry, each
//     an object schema;
//   * every `ory.sh/kratos` block is well-formed: only the keys credentials,
//     verification, recovery (and organizations); credentials.password /
//     webauthn `identifier`, totp `account_name`, passkey `display_name`,
//     code `identifier` booleans; code `via` and verification `via` one of
//     "email", "sms"; recovery `via` "email"; a code identifier needs a via;
//   * a schema with `verification` that declares a `format` uses one of
//     email, tel, date, time, date-time, no-validate, noformat.
// Errors: kInvalidArgument naming the offending location.
Status CheckIdentitySchema(const nlohmann::json& schema);

}  // namespace mneme::domain::identity
