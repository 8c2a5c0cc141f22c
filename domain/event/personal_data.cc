#include "domain/event/personal_data.h"

namespace mneme::domain {
namespace {

// SealEventData writes {"pii":"<base64url>","plain":<json>} (nlohmann sorts
// keys), or {"plain":<json>}. The sealed string has no quotes or escapes, so
// it can be cut out without lexing it character by character: on replays and
// history reads that lexing was a large part of all the work. Anything else
// falls back to a full parse.
struct SplitData {
  std::string_view pii;    // empty when there is none
  std::string_view plain;  // the plain JSON text
};
std::optional<SplitData> Split(std::string_view data) {
  constexpr std::string_view kPii = R"({"pii":")";
  constexpr std::string_view kPlainAfterPii = R"(,"plain":)";
  constexpr std::string_view kPlainOnly = R"({"plain":)";
  if (data.size() < 2 || data.back() != '}') {
    return std::nullopt;
  }
  if (data.starts_with(kPii)) {
    const size_t end = data.find('"', kPii.size());
    if (end == std::string_view::npos) {
      return std::nullopt;
    }
    const std::string_view pii = data.substr(kPii.size(), end - kPii.size());
    if (pii.find('\\') != std::string_view::npos) {
      return std::nullopt;
    }
    const std::string_view rest = data.substr(end + 1);
    if (!rest.starts_with(kPlainAfterPii)) {
      return std::nullopt;
    }
    return SplitData{pii, rest.substr(kPlainAfterPii.size(),
                                      rest.size() - kPlainAfterPii.size() - 1)};
  }
  if (data.starts_with(kPlainOnly)) {
    return SplitData{{}, data.substr(kPlainOnly.size(), data.size() - kPlainOnly.size() - 1)};
  }
  return std::nullopt;
}

}  // namespace

Result<nlohmann::json> PlainOf(std::string_view data) {
  if (auto split = Split(data)) {
    auto plain = nlohmann::json::parse(split->plain, nullptr, false);
    if (!plain.is_discarded()) {
      return plain;
    }
  }
  auto doc = nlohmann::json::parse(data, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return MakeError(Code::kDataLoss, "event data is not a JSON object");
  }
  return doc.value("plain", nlohmann::json::object());
}

Result<std::string> SealEventData(PersonalDataCipher& cipher, const std::string& owner,
                                  const nlohmann::json& plain, const nlohmann::json& personal) {
  nlohmann::json data = {{"plain", plain}};
  if (!personal.is_null()) {
    MNEME_TRY(auto sealed, cipher.Seal(owner, personal.dump()));
    data["pii"] = sealed;
  }
  return data.dump();
}

namespace {

// Opens the sealed part into out.personal (or marks it erased).
Status OpenPersonal(PersonalDataCipher& cipher, const std::string& owner, const std::string& sealed,
                    OpenedEventData& out) {
  MNEME_TRY(auto opened, cipher.Open(owner, sealed));
  if (!opened) {
    out.erased = true;
    return OkStatus();
  }
  out.personal = nlohmann::json::parse(*opened, nullptr, false);
  if (out.personal.is_discarded()) {
    return MakeError(Code::kDataLoss, "personal data is not JSON");
  }
  return OkStatus();
}

// `owner`, or the value of `owner_key` in the plain part when owner_key is set.
Result<OpenedEventData> Open(PersonalDataCipher& cipher, std::string owner, const char* owner_key,
                             const std::string& data) {
  auto owner_of = [&](const nlohmann::json& plain) {
    if (owner_key != nullptr) {
      owner = plain.is_object() ? plain.value(owner_key, "") : "";
    }
  };
  if (auto split = Split(data)) {
    OpenedEventData out;
    out.plain = nlohmann::json::parse(split->plain, nullptr, false);
    if (!out.plain.is_discarded()) {
      owner_of(out.plain);
      if (!split->pii.empty()) {
        MNEME_RETURN_IF_ERROR(OpenPersonal(cipher, owner, std::string(split->pii), out));
      }
      return out;
    }
  }
  auto doc = nlohmann::json::parse(data, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return MakeError(Code::kDataLoss, "event data is not a JSON object");
  }
  OpenedEventData out;
  out.plain = doc.value("plain", nlohmann::json::object());
  owner_of(out.plain);
  if (doc.contains("pii") && doc["pii"].is_string()) {
    MNEME_RETURN_IF_ERROR(OpenPersonal(cipher, owner, doc["pii"].get<std::string>(), out));
  }
  return out;
}

}  // namespace

Result<OpenedEventData> OpenEventData(PersonalDataCipher& cipher, const std::string& owner,
                                      const std::string& data) {
  return Open(cipher, owner, nullptr, data);
}

Result<OpenedEventData> OpenEventDataOwnedBy(PersonalDataCipher& cipher, const char* owner_key,
                                             const std::string& data) {
  return Open(cipher, "", owner_key, data);
}

}  // namespace mneme::domain
