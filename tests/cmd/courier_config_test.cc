// The courier part of kratos.yml: Kratos's defaults, SMTP and worker values,
// template overrides from courier.templates and template_override_path, and
// one clear error naming the key for each bad value.
#include "cmd/common/courier_config.h"

#include <filesystem>
#include <fstream>

#include "tests/support/test_support.h"

namespace mneme::cmd {
namespace {

using mneme::testing::HasCode;
using mneme::testing::IsOk;
using mneme::testing::TempDir;
using ::testing::HasSubstr;

class CourierConfigTest : public ::testing::Test {
 protected:
  // A file under the test's directory holding `text`; its absolute path.
  std::string File(const std::string& relative, const std::string& text) {
    const auto path = dir_.path() / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }
  // The settings of a kratos.yml made of "dsn: memory" and `yaml`.
  Result<CourierSettings> From(const std::string& yaml) {
    auto config = infra::config::LoadConfig(
        {File("kratos" + std::to_string(n_++) + ".yml", "dsn: memory\n" + yaml)}, {});
    EXPECT_THAT(config, IsOk());
    if (!config) {
      return tl::unexpected(config.error());
    }
    return CourierSettingsFrom(*config);
  }
  // The message of a kInvalidArgument that `yaml` must give.
  std::string ErrorOf(const std::string& yaml) {
    auto s = From(yaml);
    EXPECT_THAT(s, HasCode(Code::kInvalidArgument));
    return s ? "" : s.error().message();
  }

  TempDir dir_;
  int n_ = 0;
};

TEST_F(CourierConfigTest, DefaultsAreKratos) {
  auto s = From("");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->smtp.connection_uri, "");
  EXPECT_EQ(s->smtp.from_address, "no-reply@ory.kratos.sh");
  EXPECT_EQ(s->smtp.from_name, "");
  EXPECT_EQ(s->smtp.local_name, "localhost");
  EXPECT_TRUE(s->smtp.headers.empty());
  EXPECT_EQ(s->message_retries, 5);
  EXPECT_EQ(s->pull_wait, std::chrono::milliseconds(1000));
  EXPECT_EQ(s->pull_count, 10u);
  EXPECT_TRUE(s->templates.by_type.empty());
  EXPECT_EQ(s->kafka_brokers, "");
  EXPECT_EQ(s->topic_prefix, "mneme");
}

TEST_F(CourierConfigTest, ReadsSmtpAndWorkerValues) {
  auto s = From(R"(
courier:
  smtp:
    connection_uri: smtp://mail.local:25/?disable_starttls=true
    from_address: accounts@example.org
    from_name: Example Accounts
    local_name: mneme.example.org
    headers:
      X-Tenant: blue
  message_retries: 2
  worker:
    pull_wait: 250ms
    pull_count: 3
)");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->smtp.connection_uri, "smtp://mail.local:25/?disable_starttls=true");
  EXPECT_EQ(s->smtp.from_address, "accounts@example.org");
  EXPECT_EQ(s->smtp.from_name, "Example Accounts");
  EXPECT_EQ(s->smtp.local_name, "mneme.example.org");
  EXPECT_EQ(s->smtp.headers.at("X-Tenant"), "blue");
  EXPECT_EQ(s->message_retries, 2);
  EXPECT_EQ(s->pull_wait, std::chrono::milliseconds(250));
  EXPECT_EQ(s->pull_count, 3u);
}

TEST_F(CourierConfigTest, ZeroRetriesIsACount) {
  auto s = From("courier:\n  message_retries: 0\n");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->message_retries, 0);
}

TEST_F(CourierConfigTest, BadMessageRetriesIsInvalidArgument) {
  EXPECT_THAT(ErrorOf("courier:\n  message_retries: -1\n"), HasSubstr("courier.message_retries"));
  // A value that only a hand-made tree can hold (the loader checks types).
  infra::config::Config c;
  c.tree = {{"courier", {{"message_retries", "five"}}}};
  auto s = CourierSettingsFrom(c);
  EXPECT_THAT(s, HasCode(Code::kInvalidArgument));
  if (!s) {
    EXPECT_THAT(s.error().message(), HasSubstr("courier.message_retries"));
  }
}

TEST_F(CourierConfigTest, BadPullWaitIsInvalidArgument) {
  EXPECT_THAT(ErrorOf("courier:\n  worker:\n    pull_wait: 0s\n"),
              HasSubstr("courier.worker.pull_wait"));
}

TEST_F(CourierConfigTest, TemplatesFromBase64AndFileLandUnderTheirType) {
  const std::string body = File("tmpl/body.txt", "Your code: {{ .VerificationCode }}\n");
  // "Verify {{ .To }}" and "<b>invalid</b>"
  auto s = From(R"(
courier:
  templates:
    verification_code:
      valid:
        email:
          subject: base64://VmVyaWZ5IHt7IC5UbyB9fQ==
          body:
            plaintext: file://)" + body + R"(
    recovery:
      invalid:
        email:
          body:
            html: base64://PGI+aW52YWxpZDwvYj4=
)");
  ASSERT_THAT(s, IsOk());
  ASSERT_EQ(s->templates.by_type.size(), 2u);
  const auto& verification = s->templates.by_type.at("verification_code_valid");
  EXPECT_EQ(verification.subject, "Verify {{ .To }}");
  EXPECT_EQ(verification.body_plaintext, "Your code: {{ .VerificationCode }}\n");
  EXPECT_EQ(verification.body_html, "");
  const auto& recovery = s->templates.by_type.at("recovery_invalid");
  EXPECT_EQ(recovery.body_html, "<b>invalid</b>");
  EXPECT_EQ(recovery.subject, "");
  EXPECT_EQ(s->templates.by_type.count("verification_code_invalid"), 0u);
}

TEST_F(CourierConfigTest, HttpTemplateSourcesAreRefusedByKey) {
  EXPECT_THAT(ErrorOf(R"(
courier:
  templates:
    verification_code:
      valid:
        email:
          subject: https://templates.example.org/subject.gotmpl
)"),
              HasSubstr("courier.templates.verification_code.valid.email.subject"));
  EXPECT_THAT(ErrorOf(R"(
courier:
  templates:
    recovery_code:
      invalid:
        email:
          body:
            html: http://templates.example.org/body.gotmpl
)"),
              HasSubstr("courier.templates.recovery_code.invalid.email.body.html"));
}

TEST_F(CourierConfigTest, UnreadableTemplateSourcesAreInvalidArgument) {
  EXPECT_THAT(ErrorOf(R"(
courier:
  templates:
    recovery:
      valid:
        email:
          body:
            plaintext: file://)" + (dir_.path() / "missing.gotmpl").string() + "\n"),
              HasSubstr("courier.templates.recovery.valid.email.body.plaintext"));
  EXPECT_THAT(ErrorOf(R"(
courier:
  templates:
    recovery:
      valid:
        email:
          subject: base64://***
)"),
              HasSubstr("courier.templates.recovery.valid.email.subject"));
}

TEST_F(CourierConfigTest, UnknownTemplatesAreInvalidArgument) {
  // login_code has no invalid branch.
  EXPECT_THAT(ErrorOf(R"(
courier:
  templates:
    login_code:
      invalid:
        email:
          subject: base64://eA==
)"),
              HasSubstr("courier.templates.login_code.invalid"));
  EXPECT_THAT(ErrorOf(R"(
courier:
  templates:
    welcome:
      valid:
        email:
          subject: base64://eA==
)"),
              HasSubstr("courier.templates.welcome.valid"));
}

TEST_F(CourierConfigTest, OverridePathFollowsKratosLayout) {
  const auto root = dir_.path() / "templates";
  File("templates/verification_code/valid/email.subject.gotmpl", "Code for {{ .To }}");
  File("templates/verification_code/valid/email.body.gotmpl", "<p>{{ .VerificationCode }}</p>");
  File("templates/verification_code/valid/email.body.plaintext.gotmpl", "{{ .VerificationCode }}");
  File("templates/recovery/invalid/email.body.plaintext.gotmpl", "No account for {{ .To }}");
  // Not a template directory Kratos knows: ignored.
  File("templates/welcome/valid/email.subject.gotmpl", "Welcome");
  auto s = From("courier:\n  template_override_path: " + root.string() + "\n");
  ASSERT_THAT(s, IsOk());
  ASSERT_EQ(s->templates.by_type.size(), 2u);
  const auto& verification = s->templates.by_type.at("verification_code_valid");
  EXPECT_EQ(verification.subject, "Code for {{ .To }}");
  EXPECT_EQ(verification.body_html, "<p>{{ .VerificationCode }}</p>");
  EXPECT_EQ(verification.body_plaintext, "{{ .VerificationCode }}");
  const auto& recovery = s->templates.by_type.at("recovery_invalid");
  EXPECT_EQ(recovery.body_plaintext, "No account for {{ .To }}");
  EXPECT_EQ(recovery.subject, "");
}

TEST_F(CourierConfigTest, TemplatesEntriesWinOverTheOverridePath) {
  const auto root = dir_.path() / "templates";
  File("templates/verification_code/valid/email.subject.gotmpl", "from the directory");
  File("templates/verification_code/valid/email.body.plaintext.gotmpl", "body from the directory");
  auto s = From("courier:\n  template_override_path: " + root.string() + R"(
  templates:
    verification_code:
      valid:
        email:
          subject: base64://ZnJvbSB0aGUgY29uZmln
)");
  ASSERT_THAT(s, IsOk());
  const auto& texts = s->templates.by_type.at("verification_code_valid");
  EXPECT_EQ(texts.subject, "from the config");
  EXPECT_EQ(texts.body_plaintext, "body from the directory");
}

}  // namespace
}  // namespace mneme::cmd
