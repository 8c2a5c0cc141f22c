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

Result<OpenedEventData> OpenEventData(PersonalDataCipher& cipher, const std::string& owner,
                                      const std::string& data) {
  if (auto split = Split(data)) {
    OpenedEventData out;
    out.plain = nlohmann::json::parse(split->plain, nullptr, false);
    if (!out.plain.is_discarded()) {
      if (!split->pii.empty()) {
        MNEME_TRY(auto opened, cipher.Open(owner, std::string(split->pii)));
        if (!opened) {
          out.erased = true;
        } else {
          out.personal = nlohmann::json::parse(*opened, nullptr, false);
          if (out.personal.is_discarded()) {
            return MakeError(Code::kDataLoss, "personal data is not JSON");
          }
        }
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
  if (doc.contains("pii") && doc["pii"].is_string()) {
    MNEME_TRY(auto opened, cipher.Open(owner, doc["pii"].get<std::string>()));
    if (!opened) {
      out.erased = true;
    } else {
      out.personal = nlohmann::json::parse(*opened, nullptr, false);
      if (out.personal.is_discarded()) {
        return MakeError(Code::kDataLoss, "personal data is not JSON");
      }
    }
  }
  return out;
}

}  // namespace mneme::domain
