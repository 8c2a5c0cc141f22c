#include "cmd/common/courier_config.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "infra/config/duration.h"
#include "infra/crypto/keyed_hasher.h"

namespace mneme::cmd {
namespace {

using nlohmann::json;

Result<std::string> ReadSource(const std::string& key, const std::string& source) {
  if (source.rfind("base64://", 0) == 0) {
    std::string out;
    if (!infra::crypto::Base64StdDecode(source.substr(9), out)) {
      return MakeError(Code::kInvalidArgument, "config: " + key + ": not valid base64");
    }
    return out;
  }
  if (source.rfind("file://", 0) == 0) {
    std::ifstream in(source.substr(7), std::ios::binary);
    if (!in) {
      return MakeError(Code::kInvalidArgument, "config: " + key + ": cannot read " + source.substr(7));
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  return MakeError(Code::kInvalidArgument,
                   "config: " + key + ": only file:// and base64:// template sources are supported");
}

// One file of courier.template_override_path, if it exists.
Result<std::string> ReadOverrideFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return std::string();
  }
  return ReadSource(path.string(), "file://" + path.string());
}

const char* const kDirs[] = {"recovery", "recovery_code", "verification", "verification_code",
                             "login_code", "registration_code"};

}  // namespace

Result<CourierSettings> CourierSettingsFrom(const infra::config::Config& c) {
  CourierSettings s;
  s.smtp.connection_uri = c.GetString("courier.smtp.connection_uri");
  s.smtp.from_address = c.GetString("courier.smtp.from_address", s.smtp.from_address);
  s.smtp.from_name = c.GetString("courier.smtp.from_name");
  s.smtp.local_name = c.GetString("courier.smtp.local_name", "localhost");
  const json* headers = nullptr;
  if (c.tree.contains("courier") && c.tree["courier"].is_object() &&
      c.tree["courier"].contains("smtp") && c.tree["courier"]["smtp"].is_object() &&
      c.tree["courier"]["smtp"].contains("headers")) {
    headers = &c.tree["courier"]["smtp"]["headers"];
  }
  if (headers && headers->is_object()) {
    for (const auto& [k, v] : headers->items()) {
      if (!v.is_string()) {
        return MakeError(Code::kInvalidArgument, "config: courier.smtp.headers." + k + ": must be a string");
      }
      s.smtp.headers[k] = v.get<std::string>();
    }
  }
  const std::string retries = c.GetString("courier.message_retries", "5");
  s.message_retries = std::atoi(retries.c_str());
  if (s.message_retries < 0 || retries.find_first_not_of("0123456789") != std::string::npos) {
    return MakeError(Code::kInvalidArgument, "config: courier.message_retries: not a count: " + retries);
  }
  if (const std::string wait = c.GetString("courier.worker.pull_wait"); !wait.empty()) {
    auto d = infra::config::ParseDuration(wait);
    if (!d || d->count() <= 0) {
      return MakeError(Code::kInvalidArgument, "config: courier.worker.pull_wait: not a duration: " + wait);
    }
    s.pull_wait = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
    if (s.pull_wait.count() == 0) {
      s.pull_wait = std::chrono::milliseconds(1);
    }
  }
  const long pull = std::strtol(c.GetString("courier.worker.pull_count", "10").c_str(), nullptr, 10);
  s.pull_count = pull > 0 ? static_cast<size_t>(pull) : 10;

  // template_override_path first; courier.templates entries win over it.
  if (const std::string root = c.GetString("courier.template_override_path"); !root.empty()) {
    for (const char* dir : kDirs) {
      for (bool valid : {true, false}) {
        const auto base = std::filesystem::path(root) / dir / (valid ? "valid" : "invalid");
        domain::courier::TemplateTexts texts;
        MNEME_TRY(texts.subject, ReadOverrideFile(base / "email.subject.gotmpl"));
        MNEME_TRY(texts.body_html, ReadOverrideFile(base / "email.body.gotmpl"));
        MNEME_TRY(texts.body_plaintext, ReadOverrideFile(base / "email.body.plaintext.gotmpl"));
        if (!texts.subject.empty() || !texts.body_html.empty() || !texts.body_plaintext.empty()) {
          s.templates.by_type[domain::courier::TemplateTypeFor(
              dir, valid ? domain::courier::Validity::kValid : domain::courier::Validity::kInvalid)] =
              texts;
        }
      }
    }
  }
  const json* templates = nullptr;
  if (c.tree.contains("courier") && c.tree["courier"].is_object() &&
      c.tree["courier"].contains("templates")) {
    templates = &c.tree["courier"]["templates"];
  }
  if (templates && templates->is_object()) {
    for (const auto& [dir, by_validity] : templates->items()) {
      if (!by_validity.is_object()) {
        continue;
      }
      for (const auto& [validity, channels] : by_validity.items()) {
        if (validity != "valid" && validity != "invalid") {
          continue;
        }
        const std::string type = domain::courier::TemplateTypeFor(
            dir, validity == "valid" ? domain::courier::Validity::kValid
                                     : domain::courier::Validity::kInvalid);
        if (!domain::courier::IsKnownTemplateType(type)) {
          return MakeError(Code::kInvalidArgument,
                           "config: courier.templates." + dir + "." + validity + ": unknown template");
        }
        if (!channels.is_object() || !channels.contains("email") || !channels["email"].is_object()) {
          continue;
        }
        const json& email = channels["email"];
        const std::string key = "courier.templates." + dir + "." + validity + ".email";
        auto& texts = s.templates.by_type[type];
        if (email.contains("subject") && email["subject"].is_string()) {
          MNEME_TRY(texts.subject, ReadSource(key + ".subject", email["subject"].get<std::string>()));
        }
        if (email.contains("body") && email["body"].is_object()) {
          const json& body = email["body"];
          if (body.contains("html") && body["html"].is_string()) {
            MNEME_TRY(texts.body_html, ReadSource(key + ".body.html", body["html"].get<std::string>()));
          }
          if (body.contains("plaintext") && body["plaintext"].is_string()) {
            MNEME_TRY(texts.body_plaintext,
                      ReadSource(key + ".body.plaintext", body["plaintext"].get<std::string>()));
          }
        }
      }
    }
  }
  s.kafka_brokers = c.GetString("mneme.kafka.brokers");
  s.topic_prefix = c.GetString("mneme.kafka.topic_prefix", "mneme");
  return s;
}

}  // namespace mneme::cmd
