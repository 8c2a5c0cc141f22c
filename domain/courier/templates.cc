#include "domain/courier/templates.h"

#include <string_view>
#include <vector>

#include "domain/courier/go_template.h"
#include "domain/courier/go_template_funcs.h"

namespace mneme::domain::courier {
namespace {

using nlohmann::json;

enum class Kind { kString, kObject };

struct Field {
  const char* key;
  Kind kind;
};

// One template type: where Kratos keeps it, its built-in sources and the
// fields of its Go model.
struct BuiltIn {
  const char* type;
  const char* dir;
  Validity validity;
  const char* subject;
  const char* body_html;
  const char* body_plaintext;
  std::vector<Field> fields;
};

// The models of courier/template/email/*.go, in their declaration order.
std::vector<Field> InvalidModel() {
  return {{"To", Kind::kString},
          {"RequestURL", Kind::kString},
          {"TransientPayload", Kind::kObject}};
}

std::vector<Field> ValidModel(std::vector<Field> own) {
  std::vector<Field> out{{"To", Kind::kString}};
  out.insert(out.end(), own.begin(), own.end());
  out.push_back({"RequestURL", Kind::kString});
  out.push_back({"TransientPayload", Kind::kObject});
  return out;
}

// Kratos v1.3.1 courier/template/courier/builtin/templates/, byte for byte.
const std::vector<BuiltIn>& BuiltIns() {
  static const std::vector<BuiltIn> kBuiltIns = {
    {"recovery_invalid",
     "recovery",
     Validity::kInvalid,
     // recovery/invalid/email.subject.gotmpl
     "Account access attempted\n",
     // recovery/invalid/email.body.gotmpl
     "Hi,\n"
     "\n"
     "you (or someone else) entered this email address when trying to recover "
     "access to an account.\n"
     "\n"
     "However, this email address is not on our database of registered users "
     "and therefore the attempt has failed.\n"
     "\n"
     "If this was you, check if you signed up using a different address.\n"
     "\n"
     "If this was not you, please ignore this email.\n",
     // recovery/invalid/email.body.plaintext.gotmpl
     "Hi,\n"
     "\n"
     "you (or someone else) entered this email address when trying to recover "
     "access to an account.\n"
     "\n"
     "However, this email address is not on our database of registered users "
     "and therefore the attempt has failed.\n"
     "\n"
     "If this was you, check if you signed up using a different address.\n"
     "\n"
     "If this was not you, please ignore this email.\n",
     InvalidModel()},
    {"recovery_valid",
     "recovery",
     Validity::kValid,
     // recovery/valid/email.subject.gotmpl
     "Recover access to your account\n",
     // recovery/valid/email.body.gotmpl
     "Hi,\n"
     "\n"
     "please recover access to your account by clicking the following link:\n"
     "\n"
     "<a href=\"{{ .RecoveryURL }}\">{{ .RecoveryURL }}</a>\n",
     // recovery/valid/email.body.plaintext.gotmpl
     "Hi,\n"
     "\n"
     "please recover access to your account by clicking the following link:\n"
     "\n"
     "{{ .RecoveryURL }}\n",
     ValidModel({{"RecoveryURL", Kind::kString}, {"Identity", Kind::kObject}})},
    {"recovery_code_invalid",
     "recovery_code",
     Validity::kInvalid,
     // recovery_code/invalid/email.subject.gotmpl
     "Account access attempted\n",
     // recovery_code/invalid/email.body.gotmpl
     "Hi,\n"
     "\n"
     "you (or someone else) entered this email address when trying to recover "
     "access to an account.\n"
     "\n"
     "However, this email address is not on our database of registered users "
     "and therefore the attempt has failed.\n"
     "\n"
     "If this was you, check if you signed up using a different address.\n"
     "\n"
     "If this was not you, please ignore this email.\n",
     // recovery_code/invalid/email.body.plaintext.gotmpl
     "Hi,\n"
     "\n"
     "you (or someone else) entered this email address when trying to recover "
     "access to an account.\n"
     "\n"
     "However, this email address is not on our database of registered users "
     "and therefore the attempt has failed.\n"
     "\n"
     "If this was you, check if you signed up using a different address.\n"
     "\n"
     "If this was not you, please ignore this email.\n",
     InvalidModel()},
    {"recovery_code_valid",
     "recovery_code",
     Validity::kValid,
     // recovery_code/valid/email.subject.gotmpl
     "Recover access to your account\n",
     // recovery_code/valid/email.body.gotmpl
     "Hi,\n"
     "\n"
     "please recover access to your account by entering the following code:\n"
     "\n"
     "{{ .RecoveryCode }}\n",
     // recovery_code/valid/email.body.plaintext.gotmpl
     "Hi,\n"
     "\n"
     "please recover access to your account by entering the following code:\n"
     "\n"
     "{{ .RecoveryCode }}\n",
     ValidModel({{"RecoveryCode", Kind::kString}, {"Identity", Kind::kObject}})},
    {"verification_invalid",
     "verification",
     Validity::kInvalid,
     // verification/invalid/email.subject.gotmpl
     "Someone tried to verify this email address\n",
     // verification/invalid/email.body.gotmpl
     "Hi,\n"
     "\n"
     "someone asked to verify this email address, but we were unable to find "
     "an account for this address.\n"
     "\n"
     "If this was you, check if you signed up using a different address.\n"
     "\n"
     "If this was not you, please ignore this email.\n",
     // verification/invalid/email.body.plaintext.gotmpl
     "Hi,\n"
     "\n"
     "someone asked to verify this email address, but we were unable to find "
     "an account for this address.\n"
     "\n"
     "If this was you, check if you signed up using a different address.\n"
     "\n"
     "If this was not you, please ignore this email.\n",
     InvalidModel()},
    {"verification_valid",
     "verification",
     Validity::kValid,
     // verification/valid/email.subject.gotmpl
     "Please verify your email address\n",
     // verification/valid/email.body.gotmpl
     "Hi, please verify your account by clicking the following link:\n"
     "\n"
     "<a href=\"{{ .VerificationURL }}\">{{ .VerificationURL }}</a>\n",
     // verification/valid/email.body.plaintext.gotmpl
     "Hi, please verify your account by clicking the following link:\n"
     "\n"
     "{{ .VerificationURL }}\n"
     "\n",
     ValidModel({{"VerificationURL", Kind::kString}, {"Identity", Kind::kObject}})},
    {"verification_code_invalid",
     "verification_code",
     Validity::kInvalid,
     // verification_code/invalid/email.subject.gotmpl
     "Someone tried to verify this email address\n",
     // verification_code/invalid/email.body.gotmpl
     "Hi,\n"
     "\n"
     "someone asked to verify this email address, but we were unable to find "
     "an account for this address.\n"
     "\n"
     "If this was you, check if you signed up using a different address.\n"
     "\n"
     "If this was not you, please ignore this email.\n",
     // verification_code/invalid/email.body.plaintext.gotmpl
     "Hi,\n"
     "\n"
     "someone asked to verify this email address, but we were unable to find "
     "an account for this address.\n"
     "\n"
     "If this was you, check if you signed up using a different address.\n"
     "\n"
     "If this was not you, please ignore this email.\n",
     InvalidModel()},
    {"verification_code_valid",
     "verification_code",
     Validity::kValid,
     // verification_code/valid/email.subject.gotmpl
     "Please verify your email address\n",
     // verification_code/valid/email.body.gotmpl
     "Hi,\n"
     "\n"
     "please verify your account by entering the following code:\n"
     "\n"
     "{{ .VerificationCode }}\n"
     "\n"
     "or clicking the following link:\n"
     "\n"
     "<a href=\"{{ .VerificationURL }}\">{{ .VerificationURL }}</a>\n",
     // verification_code/valid/email.body.plaintext.gotmpl
     "Hi,\n"
     "\n"
     "please verify your account by entering the following code:\n"
     "\n"
     "{{ .VerificationCode }}\n"
     "\n"
     "or clicking the following link:\n"
     "\n"
     "{{ .VerificationURL }}\n",
     ValidModel({{"VerificationURL", Kind::kString},
                 {"VerificationCode", Kind::kString},
                 {"Identity", Kind::kObject}})},
    {"login_code_valid",
     "login_code",
     Validity::kValid,
     // login_code/valid/email.subject.gotmpl
     "Login to your account\n",
     // login_code/valid/email.body.gotmpl
     "Hi,\n"
     "\n"
     "please login to your account by entering the following code:\n"
     "\n"
     "{{ .LoginCode }}\n",
     // login_code/valid/email.body.plaintext.gotmpl
     "Hi,\n"
     "\n"
     "please login to your account by entering the following code:\n"
     "\n"
     "{{ .LoginCode }}\n",
     ValidModel({{"LoginCode", Kind::kString}, {"Identity", Kind::kObject}})},
    {"registration_code_valid",
     "registration_code",
     Validity::kValid,
     // registration_code/valid/email.subject.gotmpl
     "Complete your account registration\n",
     // registration_code/valid/email.body.gotmpl
     "Hi,\n"
     "\n"
     "please complete your account registration by entering the following code:\n"
     "\n"
     "{{ .RegistrationCode }}\n",
     // registration_code/valid/email.body.plaintext.gotmpl
     "Hi,\n"
     "\n"
     "please complete your account registration by entering the following code:\n"
     "\n"
     "{{ .RegistrationCode }}\n",
     ValidModel({{"Traits", Kind::kObject}, {"RegistrationCode", Kind::kString}})},
  };
  return kBuiltIns;
}

const BuiltIn* Find(const std::string& template_type) {
  for (const BuiltIn& b : BuiltIns()) {
    if (template_type == b.type) {
      return &b;
    }
  }
  return nullptr;
}

// The type's model: every field present (Go's zero value when left out).
Result<json> Model(const BuiltIn& b, const json& data) {
  if (!data.is_object() && !data.is_null()) {
    return MakeError(Code::kInvalidArgument, "template data must be an object");
  }
  json model = json::object();
  for (const Field& f : b.fields) {
    model[f.key] = f.kind == Kind::kString ? json("") : json::object();
  }
  if (data.is_null()) {
    return model;
  }
  for (const auto& [key, value] : data.items()) {
    if (!model.contains(key)) {
      return MakeError(Code::kInvalidArgument,
                       "template data key " + key + " is not part of " + b.type);
    }
    if (value.is_null()) {
      continue;
    }
    const bool want_string = model[key].is_string();
    if (want_string ? !value.is_string() : !value.is_object()) {
      return MakeError(Code::kInvalidArgument, "template data key " + key + " of " + b.type +
                                                   " must be " +
                                                   (want_string ? "a string" : "an object"));
    }
    model[key] = value;
  }
  return model;
}

Result<std::string> Render(const BuiltIn& b, std::string_view file, const std::string& override,
                           const char* builtin, const json& model, Escaping escaping) {
  const std::string name = std::string(b.dir) +
                           (b.validity == Validity::kValid ? "/valid/" : "/invalid/") +
                           std::string(file);
  MNEME_TRY(GoTemplate tmpl,
            GoTemplate::Parse(name, override.empty() ? std::string_view(builtin) : override));
  return tmpl.Execute(model, escaping);
}

}  // namespace

bool IsKnownTemplateType(const std::string& template_type) {
  return Find(template_type) != nullptr;
}

std::string TemplateTypeFor(const std::string& dir, Validity validity) {
  for (const BuiltIn& b : BuiltIns()) {
    if (dir == b.dir && validity == b.validity) {
      return b.type;
    }
  }
  return "";
}

Result<RenderedMail> RenderMail(const std::string& template_type, const json& data,
                                const TemplateOverrides& overrides) {
  const BuiltIn* b = Find(template_type);
  if (b == nullptr) {
    return MakeError(Code::kInvalidArgument, "unknown e-mail template type " + template_type);
  }
  MNEME_TRY(json model, Model(*b, data));
  TemplateTexts texts;
  if (auto it = overrides.by_type.find(template_type); it != overrides.by_type.end()) {
    texts = it->second;
  }
  RenderedMail out;
  MNEME_TRY(std::string subject, Render(*b, "email.subject.gotmpl", texts.subject, b->subject,
                                        model, Escaping::kText));
  out.subject = std::string(gotmpl::GoTrimSpace(subject));
  MNEME_TRY(out.body_plaintext,
            Render(*b, "email.body.plaintext.gotmpl", texts.body_plaintext, b->body_plaintext,
                   model, Escaping::kText));
  MNEME_TRY(out.body_html, Render(*b, "email.body.gotmpl", texts.body_html, b->body_html, model,
                                  Escaping::kHtml));
  return out;
}

}  // namespace mneme::domain::courier
