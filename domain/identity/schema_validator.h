// JSON Schema validation for identity schemas, reporting failures the way
// Ory Kratos v1.3 does.
//
// CompiledSchema parses a schema document once: it resolves local `$ref`s,
// compiles `pattern`/`patternProperties` regular expressions and checks the
// types of keyword values. Validate() then checks any number of instances and
// returns one ValidationError per failing leaf keyword, carrying Kratos's UI
// text id, English text and message context (text/message_validation.go,
// mapped from ory/jsonschema errors as ui/container/container.go does).
// Supported keywords and the deliberate deviations from the specification are
// listed in docs/json-schema.md.
//
// Thread-safety: a CompiledSchema is immutable after Compile(). Copies share
// the compiled state; all const methods may be called concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/common/result.h"

namespace mneme::domain::identity {

// Kratos text ids (text/id.go) produced by schema validation.
inline constexpr uint32_t kErrorValidationGeneric = 4000001;
inline constexpr uint32_t kErrorValidationRequired = 4000002;
inline constexpr uint32_t kErrorValidationMinLength = 4000003;
inline constexpr uint32_t kErrorValidationInvalidFormat = 4000004;  // `pattern`
inline constexpr uint32_t kErrorValidationMaxLength = 4000017;
inline constexpr uint32_t kErrorValidationMinimum = 4000018;
inline constexpr uint32_t kErrorValidationExclusiveMinimum = 4000019;
inline constexpr uint32_t kErrorValidationMaximum = 4000020;
inline constexpr uint32_t kErrorValidationExclusiveMaximum = 4000021;
inline constexpr uint32_t kErrorValidationMultipleOf = 4000022;
inline constexpr uint32_t kErrorValidationMaxItems = 4000023;
inline constexpr uint32_t kErrorValidationMinItems = 4000024;
inline constexpr uint32_t kErrorValidationUniqueItems = 4000025;
inline constexpr uint32_t kErrorValidationWrongType = 4000026;
inline constexpr uint32_t kErrorValidationConst = 4000029;
inline constexpr uint32_t kErrorValidationConstGeneric = 4000030;

// One failing keyword. Keywords Kratos has no dedicated message for (format,
// enum, additionalProperties, not, ...) use kErrorValidationGeneric with
// context {"reason": text}, exactly as Kratos does.
struct ValidationError {
  // RFC 6901 pointer of the failing value in the instance ("" is the root).
  // For `required` it points at the missing property ("/traits/email"), which
  // is the field Kratos attaches the message to.
  std::string instance_ptr;
  uint32_t message_id = kErrorValidationGeneric;
  std::string text;        // Kratos's English text, e.g. "Property email is missing."
  nlohmann::json context;  // Kratos's context object; null when Kratos sends none
  std::string keyword;     // the schema keyword that failed: "required", "format", ...
};

// Called by CompiledSchema::VisitApplied for every schema object that applies
// to a value of the instance.
using SchemaVisitor = std::function<void(const nlohmann::json& schema,
                                         const nlohmann::json& value,
                                         const std::string& instance_ptr)>;

class CompiledSchema {
 public:
  // Compiles a draft-4 .. draft-7 schema (plus `$defs`). Only local references
  // are followed: "#", "#/json/pointer" (with ~0, ~1 and %-escapes) and
  // references whose URI part equals the root `$id`/`id`.
  // Errors: kInvalidArgument when the schema itself is malformed: a keyword
  // with a value of the wrong type, a regular expression std::regex rejects, a
  // `$ref` that is remote, unresolvable or part of a `$ref`-only cycle.
  static Result<CompiledSchema> Compile(const nlohmann::json& schema);

  // All failures, in a deterministic order; empty means valid.
  std::vector<ValidationError> Validate(const nlohmann::json& instance) const;

  // Same verdict as Validate().empty(), stopping at the first failure.
  bool IsValid(const nlohmann::json& instance) const;

  // Walks the schema together with `instance` and calls `visitor` for each
  // schema object applied to each value: `$ref` targets, every `allOf` branch,
  // the first `anyOf` branch and the `oneOf` branches that validate, the
  // `then`/`else` branch chosen by `if`, schema `dependencies`, `properties`,
  // matching `patternProperties`, `additionalProperties`, `items` and
  // `additionalItems`. Used to read annotations such as `ory.sh/kratos`.
  void VisitApplied(const nlohmann::json& instance, const SchemaVisitor& visitor) const;

  // The schema document as given to Compile().
  const nlohmann::json& raw() const;

 private:
  struct Impl;
  explicit CompiledSchema(std::shared_ptr<const Impl> impl);

  std::shared_ptr<const Impl> impl_;
};

// True if `value` satisfies the named `format` (email, uri, date, date-time,
// time, tel, uuid, hostname, ipv4, ipv6). Non-strings and unknown formats
// pass, as the JSON Schema specification requires.
bool CheckFormat(std::string_view format, const nlohmann::json& value);

// Number of Unicode code points in a UTF-8 string; each byte of an invalid
// sequence counts as one (Go's utf8.RuneCount, which Kratos uses).
size_t CodePointLength(std::string_view utf8);

}  // namespace mneme::domain::identity
