#include "domain/event/personal_data.h"

namespace mneme::domain {

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
