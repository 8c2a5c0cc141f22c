// Kratos's e-mail templates: the built-in texts of Kratos v1.3.1
// (courier/template/courier/builtin/templates/<dir>/<valid|invalid>/) and
// rendering them, or an operator's replacements, with GoTemplate as Kratos's
// courier/template/email/*.go does. Pure; the functions are thread-safe.
//
// Template types and the data keys Kratos's model of each has (JSON object
// keys, named as the Go struct fields the templates refer to):
//
//   type                       dir/valid             keys
//   recovery_invalid           recovery/invalid      To RequestURL TransientPayload
//   recovery_valid             recovery/valid        To RecoveryURL Identity RequestURL
//                                                    TransientPayload
//   recovery_code_invalid      recovery_code/invalid To RequestURL TransientPayload
//   recovery_code_valid        recovery_code/valid   To RecoveryCode Identity RequestURL
//                                                    TransientPayload
//   verification_invalid       verification/invalid  To RequestURL TransientPayload
//   verification_valid         verification/valid    To VerificationURL Identity RequestURL
//                                                    TransientPayload
//   verification_code_invalid  verification_code/invalid
//                                                    To RequestURL TransientPayload
//   verification_code_valid    verification_code/valid
//                                                    To VerificationURL VerificationCode
//                                                    Identity RequestURL TransientPayload
//   login_code_valid           login_code/valid      To LoginCode Identity RequestURL
//                                                    TransientPayload
//   registration_code_valid    registration_code/valid
//                                                    To Traits RegistrationCode RequestURL
//                                                    TransientPayload
//
// Identity, Traits and TransientPayload are objects (Go map[string]any; the
// identity as Kratos's identity JSON); the others strings. A key left out
// renders as Go's zero value ("" or an empty map); null counts as left out.
//
// Differences from Kratos, which passes Go structs: a template naming a field
// its type lacks (e.g. {{ .RecoveryCode }} in recovery_valid) fails in Kratos
// with "can't evaluate field"; here it prints "<no value>" (text) or nothing
// (HTML), as GoTemplate does for a missing map key.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "domain/common/result.h"

namespace mneme::domain::courier {

// Template sources for one type; an empty part falls back to the built-in.
// (Kratos: courier.templates.<dir>.<valid|invalid>.email.{subject, body.html,
// body.plaintext}, each a URL the caller has already fetched.)
struct TemplateTexts {
  std::string subject;
  std::string body_html;
  std::string body_plaintext;
};

struct TemplateOverrides {
  std::map<std::string, TemplateTexts> by_type;  // template type -> sources
};

struct RenderedMail {
  std::string subject;  // trimmed of leading and trailing white space, as Kratos does
  std::string body_plaintext;
  std::string body_html;
};

// One of the ten e-mail template types above.
bool IsKnownTemplateType(const std::string& template_type);

// The template type of Kratos's config directory `dir` (recovery,
// recovery_code, verification, verification_code, login_code,
// registration_code) and its valid/invalid branch, e.g.
// ("verification_code", kValid) -> "verification_code_valid". Empty when there
// is none (an unknown dir; login_code and registration_code have no invalid).
enum class Validity { kValid, kInvalid };
std::string TemplateTypeFor(const std::string& dir, Validity validity);

// Renders the subject and plain-text body with text/template and the HTML body
// with html/template, from the override for `template_type` where given and
// the built-in otherwise. Errors: kInvalidArgument for an unknown template
// type, `data` that is not an object, a key the type's model lacks, a key of
// the wrong JSON type, or a template that fails to parse or execute (the
// message is Go's, e.g. "template: verification_code/valid/email.subject.gotmpl:1: ...").
Result<RenderedMail> RenderMail(const std::string& template_type, const nlohmann::json& data,
                                const TemplateOverrides& overrides);

}  // namespace mneme::domain::courier
