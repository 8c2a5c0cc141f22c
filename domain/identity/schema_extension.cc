#include "domain/identity/schema_extension.h"

#include "domain/common/utf8.h"

#include <algorithm>
#include <initializer_list>

namespace mneme::domain::identity {

using nlohmann::json;

namespace {

constexpr const char* kExtensionKey = "ory.sh/kratos";

struct CodePoint {
  char32_t cp;
  size_t offset;
  size_t width;
};

// Splits UTF-8 into code points; a byte of an invalid sequence stands alone
// (with cp U+FFFD) and is copied through unchanged.
std::vector<CodePoint> Decode(std::string_view s) {
  std::vector<CodePoint> out;
  for (size_t i = 0; i < s.size();) {
    const common::Rune r = common::DecodeRune(s, i);
    out.push_back({r.cp, i, r.width});
    i += r.width;
  }
  return out;
}

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Go's unicode.IsSpace, which strings.TrimSpace uses.
bool IsSpace(char32_t c) {
  return (c >= '\t' && c <= '\r') || c == ' ' || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

// unicode.ToLower for the scripts identifiers are commonly written in.
char32_t ToLower(char32_t c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7)) {
    return c + 0x20;
  }
  if (c == 0x130) {
    return 'i';
  }
  if (c == 0x178) {
    return 0xFF;
  }
  if (((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) && c % 2 == 0) {
    return c + 1;
  }
  if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && c % 2 == 1) {
    return c + 1;
  }
  if (c == 0x386) {
    return 0x3AC;
  }
  if (c >= 0x388 && c <= 0x38A) {
    return c + 37;
  }
  if (c == 0x38C) {
    return 0x3CC;
  }
  if (c == 0x38E || c == 0x38F) {
    return c + 63;
  }
  if ((c >= 0x391 && c <= 0x3A1) || (c >= 0x3A3 && c <= 0x3AB) || (c >= 0x410 && c <= 0x42F)) {
    return c + 0x20;
  }
  if (c >= 0x400 && c <= 0x40F) {
    return c + 0x50;
  }
  return c;
}

std::string_view TrimSpace(std::string_view s, const std::vector<CodePoint>& cps, size_t& first,
                           size_t& last) {
  first = 0;
  last = cps.size();
  while (first < last && IsSpace(cps[first].cp)) {
    ++first;
  }
  while (last > first && IsSpace(cps[last - 1].cp)) {
    --last;
  }
  if (first == last) {
    return {};
  }
  const size_t begin = cps[first].offset;
  const size_t end = cps[last - 1].offset + cps[last - 1].width;
  return s.substr(begin, end - begin);
}

std::string Trim(std::string_view s) {
  const auto cps = Decode(s);
  size_t first = 0;
  size_t last = 0;
  return std::string(TrimSpace(s, cps, first, last));
}

template <typename T>
void AddUnique(std::vector<T>& out, T value) {
  if (std::find(out.begin(), out.end(), value) == out.end()) {
    out.push_back(std::move(value));
  }
}

// ext[path...] when every step exists; null otherwise.
const json* Find(const json& ext, std::initializer_list<const char*> path) {
  const json* at = &ext;
  for (const char* key : path) {
    if (!at->is_object()) {
      return nullptr;
    }
    auto it = at->find(key);
    if (it == at->end()) {
      return nullptr;
    }
    at = &*it;
  }
  return at;
}

bool Flag(const json& ext, std::initializer_list<const char*> path) {
  const json* v = Find(ext, path);
  return v != nullptr && v->is_boolean() && v->get<bool>();
}

std::string Via(const json& ext, std::initializer_list<const char*> path) {
  const json* v = Find(ext, path);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

std::string NormalizeAddress(std::string_view value, const std::string& via) {
  return via == "sms" ? NormalizePhoneNumber(value) : NormalizeIdentifier(value);
}

std::vector<std::string> StringValues(const json& value) {
  std::vector<std::string> out;
  if (value.is_string()) {
    out.push_back(value.get<std::string>());
  } else if (value.is_array()) {
    for (const auto& item : value) {
      if (item.is_string()) {
        out.push_back(item.get<std::string>());
      }
    }
  }
  return out;
}

void Apply(const json& ext, const std::vector<std::string>& values, TraitsExtension& out) {
  const bool password = Flag(ext, {"credentials", "password", "identifier"});
  const bool webauthn = Flag(ext, {"credentials", "webauthn", "identifier"});
  const bool code = Flag(ext, {"credentials", "code", "identifier"});
  const bool passkey = Flag(ext, {"credentials", "passkey", "display_name"});
  const bool totp = Flag(ext, {"credentials", "totp", "account_name"});
  const std::string code_via = Via(ext, {"credentials", "code", "via"});
  const std::string verification_via = Via(ext, {"verification", "via"});
  const std::string recovery_via = Via(ext, {"recovery", "via"});
  const auto is_channel = [](const std::string& via) { return via == "email" || via == "sms"; };

  for (const auto& value : values) {
    if (password) {
      AddUnique(out.identifiers.password, NormalizeIdentifier(value));
    }
    if (webauthn) {
      AddUnique(out.identifiers.webauthn, NormalizeIdentifier(value));
    }
    if (code) {
      std::string normalized = NormalizeAddress(value, code_via);
      if (is_channel(code_via)) {
        AddUnique(out.code_addresses, std::pair(code_via, normalized));
      }
      AddUnique(out.identifiers.code, std::move(normalized));
    }
    if (passkey) {
      AddUnique(out.identifiers.passkey_display_name, value);
    }
    if (totp) {
      AddUnique(out.identifiers.totp_account_name, value);
    }
    if (is_channel(verification_via)) {
      AddUnique(out.verifiable, AddressRef{NormalizeAddress(value, verification_via),
                                           verification_via});
    }
    if (is_channel(recovery_via)) {
      AddUnique(out.recovery, AddressRef{NormalizeAddress(value, recovery_via), recovery_via});
    }
  }
}

// ---------------------------------------------------------------------------
// Meta-schema checks.

tl::unexpected<Error> Invalid(const std::string& message) {
  return MakeError(Code::kInvalidArgument, "identity schema: " + message);
}

std::string Child(const std::string& ptr, const std::string& key) {
  std::string out = ptr + "/";
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// `object` may only hold the given keys, each with a value `check` accepts.
template <typename Check>
Status OnlyKeys(const json& object, const std::string& ptr,
                std::initializer_list<const char*> allowed, Check&& check) {
  if (!object.is_object()) {
    return Invalid("\"" + ptr + "\" must be an object");
  }
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (std::none_of(allowed.begin(), allowed.end(),
                     [&](const char* key) { return it.key() == key; })) {
      return Invalid("\"" + ptr + "\" has unknown key \"" + it.key() + "\"");
    }
    MNEME_RETURN_IF_ERROR(check(it.key(), it.value(), Child(ptr, it.key())));
  }
  return OkStatus();
}

Status Boolean(const json& value, const std::string& ptr) {
  if (!value.is_boolean()) {
    return Invalid("\"" + ptr + "\" must be a boolean");
  }
  return OkStatus();
}

Status OneOf(const json& value, const std::string& ptr,
             std::initializer_list<const char*> allowed) {
  if (value.is_string() && std::any_of(allowed.begin(), allowed.end(), [&](const char* a) {
        return value.get_ref<const std::string&>() == a;
      })) {
    return OkStatus();
  }
  std::string list;
  for (const char* a : allowed) {
    list += (list.empty() ? "\"" : ", \"") + std::string(a) + "\"";
  }
  return Invalid("\"" + ptr + "\" must be one of " + list);
}

Status CheckCredentials(const json& credentials, const std::string& ptr) {
  return OnlyKeys(
      credentials, ptr, {"password", "webauthn", "passkey", "totp", "code"},
      [](const std::string& type, const json& config, const std::string& at) -> Status {
        if (type == "password" || type == "webauthn") {
          return OnlyKeys(config, at, {"identifier"},
                          [](const std::string&, const json& v, const std::string& p) {
                            return Boolean(v, p);
                          });
        }
        if (type == "passkey") {
          return OnlyKeys(config, at, {"display_name"},
                          [](const std::string&, const json& v, const std::string& p) {
                            return Boolean(v, p);
                          });
        }
        if (type == "totp") {
          return OnlyKeys(config, at, {"account_name"},
                          [](const std::string&, const json& v, const std::string& p) {
                            return Boolean(v, p);
                          });
        }
        MNEME_RETURN_IF_ERROR(OnlyKeys(
            config, at, {"identifier", "via"},
            [](const std::string& key, const json& v, const std::string& p) -> Status {
              return key == "via" ? OneOf(v, p, {"email", "sms"}) : Boolean(v, p);
            }));
        if (Flag(config, {"identifier"}) && !config.contains("via")) {
          return Invalid("\"" + at +
                         "\" marks an identifier but has no \"via\" (\"email\" or \"sms\")");
        }
        return OkStatus();
      });
}

Status CheckExtensionBlock(const json& schema, const json& ext, const std::string& ptr) {
  MNEME_RETURN_IF_ERROR(OnlyKeys(
      ext, ptr, {"credentials", "verification", "recovery", "organizations"},
      [](const std::string& key, const json& v, const std::string& at) -> Status {
        if (key == "credentials") {
          return CheckCredentials(v, at);
        }
        if (key == "verification") {
          return OnlyKeys(v, at, {"via"},
                          [](const std::string&, const json& via, const std::string& p) {
                            return OneOf(via, p, {"email", "sms"});
                          });
        }
        if (key == "recovery") {
          return OnlyKeys(v, at, {"via"},
                          [](const std::string&, const json& via, const std::string& p) {
                            return OneOf(via, p, {"email"});
                          });
        }
        return OkStatus();  // organizations: Ory Network only, not interpreted here
      }));
  if (ext.contains("verification")) {
    if (auto format = schema.find("format"); format != schema.end()) {
      const std::string at = Child(ptr.substr(0, ptr.rfind('/')), "format");
      MNEME_RETURN_IF_ERROR(OneOf(*format, at,
                                  {"email", "tel", "date", "time", "date-time", "no-validate",
                                   "noformat"}));
    }
  }
  return OkStatus();
}

// Kratos applies the extension meta-schema to every object nested in a trait.
Status CheckExtensionsEverywhere(const json& node, const std::string& ptr) {
  if (node.is_object()) {
    if (auto ext = node.find(kExtensionKey); ext != node.end()) {
      MNEME_RETURN_IF_ERROR(CheckExtensionBlock(node, *ext, Child(ptr, kExtensionKey)));
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it.key() != kExtensionKey) {
        MNEME_RETURN_IF_ERROR(CheckExtensionsEverywhere(it.value(), Child(ptr, it.key())));
      }
    }
  } else if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i) {
      MNEME_RETURN_IF_ERROR(CheckExtensionsEverywhere(node[i], Child(ptr, std::to_string(i))));
    }
  }
  return OkStatus();
}

}  // namespace

std::string NormalizeIdentifier(std::string_view value) {
  const auto cps = Decode(value);
  size_t first = 0;
  size_t last = 0;
  TrimSpace(value, cps, first, last);
  std::string out;
  out.reserve(value.size());
  for (size_t i = first; i < last; ++i) {
    const CodePoint& c = cps[i];
    if (c.cp == 0xFFFD && c.width == 1) {
      out += value[c.offset];  // invalid byte: copied through
    } else {
      AppendUtf8(out, ToLower(c.cp));
    }
  }
  return out;
}

std::string NormalizePhoneNumber(std::string_view value) {
  std::string trimmed = Trim(value);
  if (!CheckFormat("tel", json(trimmed))) {
    return trimmed;
  }
  std::string out = "+";
  for (char c : trimmed) {
    if (c >= '0' && c <= '9') {
      out += c;
    }
  }
  return out;
}

TraitsExtension ExtractExtension(const CompiledSchema& schema, const json& traits) {
  TraitsExtension out;
  const json instance = {{"traits", traits}};
  schema.VisitApplied(instance, [&out](const json& s, const json& value, const std::string& ptr) {
    if (ptr.compare(0, 7, "/traits") != 0 || (ptr.size() > 7 && ptr[7] != '/') ||
        !s.is_object()) {
      return;
    }
    auto ext = s.find(kExtensionKey);
    if (ext == s.end() || !ext->is_object()) {
      return;
    }
    Apply(*ext, StringValues(value), out);
  });
  return out;
}

Status CheckIdentitySchema(const json& schema) {
  MNEME_RETURN_IF_ERROR(CompiledSchema::Compile(schema));
  if (!schema.is_object()) {
    return Invalid("the root must be a schema object");
  }
  const json* traits = Find(schema, {"properties", "traits"});
  if (traits == nullptr) {
    return Invalid("the root must declare \"properties\": {\"traits\": {...}}");
  }
  if (!traits->is_object()) {
    return Invalid("\"#/properties/traits\" must be a schema object");
  }
  if (auto type = traits->find("type"); type != traits->end() && *type != "object") {
    return Invalid("\"#/properties/traits\" must be of type \"object\"");
  }
  const json* properties = Find(*traits, {"properties"});
  if (properties == nullptr || !properties->is_object() || properties->empty()) {
    return Invalid("\"#/properties/traits/properties\" must declare at least one trait");
  }
  for (auto it = properties->begin(); it != properties->end(); ++it) {
    if (!it.value().is_object()) {
      return Invalid("\"" + Child("#/properties/traits/properties", it.key()) +
                     "\" must be a schema object");
    }
  }
  return CheckExtensionsEverywhere(schema, "#");
}

}  // namespace mneme::domain::identity
