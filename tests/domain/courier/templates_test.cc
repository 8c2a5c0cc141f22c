// Kratos's built-in e-mail templates and their overrides. The expected texts
// are what Kratos v1.3.1 renders for the same data: each was produced by Go's
// text/template and html/template from the files in
// courier/template/courier/builtin/templates/, with strings.TrimSpace on the
// subject as courier/template/email/*.go does.
#include "domain/courier/templates.h"

#include <gmock/gmock.h>

#include "tests/support/test_support.h"

namespace mneme::domain::courier {
namespace {

using mneme::testing::HasCode;
using mneme::testing::IsOk;
using nlohmann::json;
using ::testing::HasSubstr;

json Identity() { return {{"id", "3b8c7a2e-1f4d-4a8e-9c1b-2d3e4f5a6b7c"}}; }

constexpr const char* kRecoveryInvalidBody =
    "Hi,\n\nyou (or someone else) entered this email address when trying to recover access to "
    "an account.\n\nHowever, this email address is not on our database of registered users and "
    "therefore the attempt has failed.\n\nIf this was you, check if you signed up using a "
    "different address.\n\nIf this was not you, please ignore this email.\n";
constexpr const char* kVerificationInvalidBody =
    "Hi,\n\nsomeone asked to verify this email address, but we were unable to find an account "
    "for this address.\n\nIf this was you, check if you signed up using a different address."
    "\n\nIf this was not you, please ignore this email.\n";

struct Case {
  std::string type;
  json data;
  std::string subject;
  std::string plaintext;
  std::string html;
};

std::vector<Case> BuiltInCases() {
  return {
      {"recovery_invalid",
       {{"To", "jane@example.org"},
        {"RequestURL", "https://auth.example.org/self-service/recovery/browser"}},
       "Account access attempted",
       kRecoveryInvalidBody,
       kRecoveryInvalidBody},
      {"recovery_code_invalid",
       {{"To", "jane@example.org"}},
       "Account access attempted",
       kRecoveryInvalidBody,
       kRecoveryInvalidBody},
      {"verification_invalid",
       {{"To", "jane@example.org"}},
       "Someone tried to verify this email address",
       kVerificationInvalidBody,
       kVerificationInvalidBody},
      {"verification_code_invalid",
       {{"To", "jane@example.org"}},
       "Someone tried to verify this email address",
       kVerificationInvalidBody,
       kVerificationInvalidBody},
      {"recovery_valid",
       {{"To", "jane@example.org"},
        {"RecoveryURL", "https://auth.example.org/self-service/recovery?flow=5d1e&token=Ab+c/d="},
        {"Identity", Identity()}},
       "Recover access to your account",
       "Hi,\n\nplease recover access to your account by clicking the following link:\n\n"
       "https://auth.example.org/self-service/recovery?flow=5d1e&token=Ab+c/d=\n",
       "Hi,\n\nplease recover access to your account by clicking the following link:\n\n"
       "<a href=\"https://auth.example.org/self-service/recovery?flow=5d1e&amp;token=Ab&#43;c/d=\">"
       "https://auth.example.org/self-service/recovery?flow=5d1e&amp;token=Ab&#43;c/d=</a>\n"},
      {"recovery_code_valid",
       {{"To", "jane@example.org"}, {"RecoveryCode", "770412"}, {"Identity", Identity()}},
       "Recover access to your account",
       "Hi,\n\nplease recover access to your account by entering the following code:\n\n"
       "770412\n",
       "Hi,\n\nplease recover access to your account by entering the following code:\n\n"
       "770412\n"},
      {"verification_valid",
       {{"To", "jane@example.org"},
        {"VerificationURL", "https://auth.example.org/self-service/verification?flow=8e1d&token=Zm9v"},
        {"Identity", Identity()}},
       "Please verify your email address",
       // Kratos's plain-text file ends in an empty line.
       "Hi, please verify your account by clicking the following link:\n\n"
       "https://auth.example.org/self-service/verification?flow=8e1d&token=Zm9v\n\n",
       "Hi, please verify your account by clicking the following link:\n\n"
       "<a href=\"https://auth.example.org/self-service/verification?flow=8e1d&amp;token=Zm9v\">"
       "https://auth.example.org/self-service/verification?flow=8e1d&amp;token=Zm9v</a>\n"},
      {"verification_code_valid",
       {{"To", "jane@example.org"},
        {"VerificationURL",
         "https://auth.example.org/self-service/verification?flow=8e1d&code=492011"},
        {"VerificationCode", "492011"},
        {"Identity", Identity()},
        {"RequestURL", "https://auth.example.org/self-service/verification/browser"},
        {"TransientPayload", json::object()}},
       "Please verify your email address",
       "Hi,\n\nplease verify your account by entering the following code:\n\n492011\n\n"
       "or clicking the following link:\n\n"
       "https://auth.example.org/self-service/verification?flow=8e1d&code=492011\n",
       "Hi,\n\nplease verify your account by entering the following code:\n\n492011\n\n"
       "or clicking the following link:\n\n"
       "<a href=\"https://auth.example.org/self-service/verification?flow=8e1d&amp;code=492011\">"
       "https://auth.example.org/self-service/verification?flow=8e1d&amp;code=492011</a>\n"},
      {"login_code_valid",
       {{"To", "jane@example.org"}, {"LoginCode", "118203"}, {"Identity", Identity()}},
       "Login to your account",
       "Hi,\n\nplease login to your account by entering the following code:\n\n118203\n",
       "Hi,\n\nplease login to your account by entering the following code:\n\n118203\n"},
      {"registration_code_valid",
       {{"To", "jane@example.org"},
        {"RegistrationCode", "551900"},
        {"Traits", {{"email", "jane@example.org"}}}},
       "Complete your account registration",
       "Hi,\n\nplease complete your account registration by entering the following code:\n\n"
       "551900\n",
       "Hi,\n\nplease complete your account registration by entering the following code:\n\n"
       "551900\n"},
  };
}

TEST(CourierTemplates, EveryBuiltInRendersAsKratosDoes) {
  const auto cases = BuiltInCases();
  ASSERT_EQ(cases.size(), 10u);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.type);
    EXPECT_TRUE(IsKnownTemplateType(c.type));
    auto mail = RenderMail(c.type, c.data, TemplateOverrides{});
    ASSERT_THAT(mail, IsOk());
    EXPECT_EQ(mail->subject, c.subject);
    EXPECT_EQ(mail->body_plaintext, c.plaintext);
    EXPECT_EQ(mail->body_html, c.html);
  }
}

TEST(CourierTemplates, AnOverrideReplacesOnlyTheGivenPart) {
  TemplateOverrides overrides;
  overrides.by_type["verification_code_valid"].subject = "Your code: {{ .VerificationCode }}";
  json data = {{"To", "jane@example.org"}, {"VerificationCode", "492011"},
               {"VerificationURL", "https://auth.example.org/v"}};
  auto mail = RenderMail("verification_code_valid", data, overrides);
  ASSERT_THAT(mail, IsOk());
  EXPECT_EQ(mail->subject, "Your code: 492011");
  EXPECT_EQ(mail->body_plaintext,
            "Hi,\n\nplease verify your account by entering the following code:\n\n492011\n\n"
            "or clicking the following link:\n\nhttps://auth.example.org/v\n");
  EXPECT_THAT(mail->body_html, HasSubstr("<a href=\"https://auth.example.org/v\">"));

  overrides.by_type["verification_code_valid"] = TemplateTexts{};
  overrides.by_type["verification_code_valid"].body_html = "<p>{{ .VerificationCode }}</p>";
  mail = RenderMail("verification_code_valid", data, overrides);
  ASSERT_THAT(mail, IsOk());
  EXPECT_EQ(mail->subject, "Please verify your email address");
  EXPECT_EQ(mail->body_html, "<p>492011</p>");
  EXPECT_THAT(mail->body_plaintext, HasSubstr("or clicking the following link:"));

  overrides.by_type["verification_code_valid"] = TemplateTexts{};
  overrides.by_type["verification_code_valid"].body_plaintext = "Code {{ .VerificationCode }}";
  mail = RenderMail("verification_code_valid", data, overrides);
  ASSERT_THAT(mail, IsOk());
  EXPECT_EQ(mail->body_plaintext, "Code 492011");
  EXPECT_EQ(mail->subject, "Please verify your email address");
  EXPECT_THAT(mail->body_html, HasSubstr("492011"));
}

TEST(CourierTemplates, AnOverrideOfAnotherTypeDoesNotApply) {
  TemplateOverrides overrides;
  overrides.by_type["recovery_code_valid"].subject = "Override";
  auto mail = RenderMail("login_code_valid", {{"LoginCode", "1"}}, overrides);
  ASSERT_THAT(mail, IsOk());
  EXPECT_EQ(mail->subject, "Login to your account");
}

TEST(CourierTemplates, TheSubjectIsTrimmedAndTheBodiesAreNot) {
  TemplateOverrides overrides;
  // Go's strings.TrimSpace also trims Unicode spaces such as NBSP.
  overrides.by_type["recovery_code_valid"] = {"  \n Hello {{ .To }}\u00a0\t\n",
                                              "\n<p>{{ .RecoveryCode }}</p>\n",
                                              "  {{ .RecoveryCode }}  \n"};
  auto mail = RenderMail("recovery_code_valid",
                         {{"To", "jane@example.org"}, {"RecoveryCode", "770412"}}, overrides);
  ASSERT_THAT(mail, IsOk());
  EXPECT_EQ(mail->subject, "Hello jane@example.org");
  EXPECT_EQ(mail->body_html, "\n<p>770412</p>\n");
  EXPECT_EQ(mail->body_plaintext, "  770412  \n");
}

TEST(CourierTemplates, HtmlIsEscapedAndTextIsNot) {
  TemplateOverrides overrides;
  overrides.by_type["login_code_valid"] = {"{{ .TransientPayload.name }}",
                                           "<p>{{ .TransientPayload.name }}</p>",
                                           "{{ .TransientPayload.name }}"};
  auto mail = RenderMail("login_code_valid", {{"TransientPayload", {{"name", "<Tom & Jerry>"}}}},
                         overrides);
  ASSERT_THAT(mail, IsOk());
  EXPECT_EQ(mail->subject, "<Tom & Jerry>");
  EXPECT_EQ(mail->body_plaintext, "<Tom & Jerry>");
  EXPECT_EQ(mail->body_html, "<p>&lt;Tom &amp; Jerry&gt;</p>");
}

TEST(CourierTemplates, KeysLeftOutRenderAsGoZeroValues) {
  // Go: a nil map prints "map[]", an empty string nothing, a missing map key
  // "<no value>".
  TemplateOverrides overrides;
  overrides.by_type["recovery_valid"].body_plaintext =
      "[{{ .RecoveryURL }}]{{ .Identity }}|{{ .TransientPayload }}|{{ .Identity.traits }}";
  auto mail = RenderMail("recovery_valid", {{"Identity", nullptr}}, overrides);
  ASSERT_THAT(mail, IsOk());
  EXPECT_EQ(mail->body_plaintext, "[]map[]|map[]|<no value>");
  // No data at all is the same as an empty model.
  EXPECT_THAT(RenderMail("recovery_valid", nullptr, overrides), IsOk());
}

TEST(CourierTemplates, TraitsAreAvailableToRegistrationTemplates) {
  TemplateOverrides overrides;
  overrides.by_type["registration_code_valid"].body_plaintext =
      "Hi {{ .Traits.name.first }}, {{ .RegistrationCode }}";
  auto mail = RenderMail("registration_code_valid",
                         {{"Traits", {{"name", {{"first", "Jane"}}}}}, {"RegistrationCode", "5"}},
                         overrides);
  ASSERT_THAT(mail, IsOk());
  EXPECT_EQ(mail->body_plaintext, "Hi Jane, 5");
}

TEST(CourierTemplates, UnknownTypeIsInvalidArgument) {
  EXPECT_FALSE(IsKnownTemplateType("stub"));
  EXPECT_FALSE(IsKnownTemplateType("login_code_invalid"));
  EXPECT_FALSE(IsKnownTemplateType(""));
  auto r = RenderMail("login_code_invalid", json::object(), TemplateOverrides{});
  EXPECT_THAT(r, HasCode(Code::kInvalidArgument));
  EXPECT_THAT(r.error().message(), HasSubstr("login_code_invalid"));
}

TEST(CourierTemplates, DataOutsideTheTypesModelIsInvalidArgument) {
  // Kratos's models are Go structs: a recovery link mail has no RecoveryCode.
  EXPECT_THAT(RenderMail("recovery_valid", {{"RecoveryCode", "1"}}, TemplateOverrides{}),
              HasCode(Code::kInvalidArgument));
  EXPECT_THAT(RenderMail("verification_valid", {{"Traits", json::object()}}, TemplateOverrides{}),
              HasCode(Code::kInvalidArgument));
  EXPECT_THAT(RenderMail("login_code_valid", {{"LoginCode", 118203}}, TemplateOverrides{}),
              HasCode(Code::kInvalidArgument));
  EXPECT_THAT(RenderMail("login_code_valid", {{"Identity", "x"}}, TemplateOverrides{}),
              HasCode(Code::kInvalidArgument));
  EXPECT_THAT(RenderMail("login_code_valid", json::array(), TemplateOverrides{}),
              HasCode(Code::kInvalidArgument));
}

TEST(CourierTemplates, TemplateErrorsAreInvalidArgumentWithGosMessage) {
  TemplateOverrides overrides;
  overrides.by_type["verification_code_valid"].subject = "Code {{ .VerificationCode ";
  auto r = RenderMail("verification_code_valid", {{"VerificationCode", "1"}}, overrides);
  ASSERT_THAT(r, HasCode(Code::kInvalidArgument));
  EXPECT_THAT(r.error().message(),
              HasSubstr("template: verification_code/valid/email.subject.gotmpl:1:"));

  overrides.by_type["verification_code_valid"] = TemplateTexts{};
  overrides.by_type["verification_code_valid"].body_html = "{{ upper .Identity }}";
  r = RenderMail("verification_code_valid", {{"VerificationCode", "1"}}, overrides);
  ASSERT_THAT(r, HasCode(Code::kInvalidArgument));
  EXPECT_THAT(r.error().message(), HasSubstr("verification_code/valid/email.body.gotmpl"));
}

TEST(CourierTemplates, ConfigDirectoriesMapToTemplateTypes) {
  EXPECT_EQ(TemplateTypeFor("verification_code", Validity::kValid), "verification_code_valid");
  EXPECT_EQ(TemplateTypeFor("verification_code", Validity::kInvalid),
            "verification_code_invalid");
  EXPECT_EQ(TemplateTypeFor("verification", Validity::kValid), "verification_valid");
  EXPECT_EQ(TemplateTypeFor("verification", Validity::kInvalid), "verification_invalid");
  EXPECT_EQ(TemplateTypeFor("recovery", Validity::kValid), "recovery_valid");
  EXPECT_EQ(TemplateTypeFor("recovery", Validity::kInvalid), "recovery_invalid");
  EXPECT_EQ(TemplateTypeFor("recovery_code", Validity::kValid), "recovery_code_valid");
  EXPECT_EQ(TemplateTypeFor("recovery_code", Validity::kInvalid), "recovery_code_invalid");
  EXPECT_EQ(TemplateTypeFor("login_code", Validity::kValid), "login_code_valid");
  EXPECT_EQ(TemplateTypeFor("registration_code", Validity::kValid), "registration_code_valid");
  EXPECT_EQ(TemplateTypeFor("login_code", Validity::kInvalid), "");
  EXPECT_EQ(TemplateTypeFor("registration_code", Validity::kInvalid), "");
  EXPECT_EQ(TemplateTypeFor("settings", Validity::kValid), "");
}

}  // namespace
}  // namespace mneme::domain::courier
