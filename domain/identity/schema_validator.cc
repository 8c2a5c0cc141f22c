#include "domain/identity/schema_validator.h"

#include "domain/common/utf8.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
// GCC 12 reports -Wmaybe-uninitialized inside libstdc++'s regex compiler when
// sanitizers are on (a false positive in std::function); keep it out of builds.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop
#include <tuple>
#include <utility>

namespace mneme::domain::identity {

using nlohmann::json;

namespace {

// Validation and compilation recurse once per schema level; recursive schemas
// (`{"$ref": "#"}`) over deep instances, or applicator cycles such as
// `{"allOf": [{"$ref": "#"}]}`, stop here instead of exhausting the stack.
constexpr int kMaxDepth = 256;

// libstdc++'s std::regex matcher recurses once per input character, so a long
// subject can overflow the stack (observed at ~3,000 characters under ASan).
// Longer subjects never match a pattern: `pattern` fails closed and the
// property is not matched by `patternProperties`.
constexpr size_t kMaxRegexSubjectBytes = 1024;

// ---------------------------------------------------------------------------
// Text helpers reproducing Go's formatting, which Kratos's texts are made of.

using common::DecodeRune;
using common::Rune;

// Approximates Go's unicode.IsPrint for the code points that matter in
// practice: controls, format characters, non-ASCII spaces and private use.
bool IsGoPrintable(char32_t c) {
  if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0xA0 || c == 0xAD) {
    return false;
  }
  if ((c >= 0x600 && c <= 0x605) || c == 0x61C || c == 0x6DD || c == 0x70F || c == 0x1680 ||
      c == 0x180E || (c >= 0x2000 && c <= 0x200F) || (c >= 0x2028 && c <= 0x202F) ||
      (c >= 0x205F && c <= 0x206F) || c == 0x3000 || (c >= 0xE000 && c <= 0xF8FF) ||
      c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB) || c == 0xFFFE || c == 0xFFFF ||
      c >= 0xF0000) {
    return false;
  }
  return true;
}

void AppendHex(std::string& out, const char* prefix, uint32_t value, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%0*x", digits, value);
  out += prefix;
  out += buf;
}

// Go's %q (strconv.Quote): double-quoted with Go escapes, printable UTF-8 kept.
std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    const Rune r = DecodeRune(s, i);
    if (!r.valid) {
      AppendHex(out, "\\x", static_cast<unsigned char>(s[i]), 2);
      i += 1;
      continue;
    }
    switch (r.cp) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      default:
        if (r.cp < 0x20 || r.cp == 0x7F) {
          AppendHex(out, "\\x", r.cp, 2);
        } else if (!IsGoPrintable(r.cp)) {
          if (r.cp < 0x10000) {
            AppendHex(out, "\\u", r.cp, 4);
          } else {
            AppendHex(out, "\\U", r.cp, 8);
          }
        } else {
          out.append(s.substr(i, r.width));
        }
    }
    i += r.width;
  }
  out += '"';
  return out;
}

// Go's %v for a float64 (strconv 'g' with the shortest precision): exponent
// form when the decimal exponent is < -4 or >= 6, so 1e6 prints as "1e+06".
std::string GoFloat(double v) {
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  char buf[64];
  auto sci = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  const std::string_view sci_text(buf, static_cast<size_t>(sci.ptr - buf));
  const size_t e = sci_text.find('e');
  int exponent = 0;
  std::from_chars(sci_text.data() + e + 1 + (sci_text[e + 1] == '+' ? 1 : 0),
                  sci_text.data() + sci_text.size(), exponent);
  if (exponent < -4 || exponent >= 6) {
    return std::string(sci_text);
  }
  auto fixed = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return std::string(buf, fixed.ptr);
}

double ToDouble(const json& number) { return number.get<double>(); }

// A number as Kratos's context carries it (a float64 marshalled by Go): whole
// values without a fraction.
json ContextNumber(double v) {
  if (std::isfinite(v) && v == std::trunc(v) && std::fabs(v) < 9007199254740992.0) {
    return static_cast<int64_t>(v);
  }
  return v;
}

// Go's %#v of a decoded JSON scalar (json.Number prints as a quoted string).
std::string GoSharpV(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "<nil>";
    case json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case json::value_t::string: return GoQuote(v.get_ref<const std::string&>());
    default: return GoQuote(v.dump());
  }
}

std::string JsonTypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "boolean";
    case json::value_t::string: return "string";
    case json::value_t::array: return "array";
    case json::value_t::object: return "object";
    default: return "number";
  }
}

void AppendPointerToken(std::string& ptr, std::string_view token) {
  ptr += '/';
  for (char c : token) {
    if (c == '~') {
      ptr += "~0";
    } else if (c == '/') {
      ptr += "~1";
    } else {
      ptr += c;
    }
  }
}

std::string ChildPointer(const std::string& ptr, std::string_view token) {
  std::string out = ptr;
  AppendPointerToken(out, token);
  return out;
}

// Restores a pointer being built in place when a scope ends.
class PointerScope {
 public:
  PointerScope(std::string& ptr, std::string_view token) : ptr_(ptr), mark_(ptr.size()) {
    AppendPointerToken(ptr_, token);
  }
  PointerScope(const PointerScope&) = delete;
  PointerScope& operator=(const PointerScope&) = delete;
  ~PointerScope() { ptr_.resize(mark_); }

 private:
  std::string& ptr_;
  size_t mark_;
};

// ---------------------------------------------------------------------------
// Numbers and equality.

bool IsIntegral(const json& v) {
  if (v.is_number_integer()) {
    return true;
  }
  if (!v.is_number_float()) {
    return false;
  }
  const double d = v.get<double>();
  return std::isfinite(d) && d == std::trunc(d);
}

bool IsNegativeInteger(const json& v) {
  return v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() < 0;
}

// Exact for two integers, IEEE double comparison otherwise.
int CompareNumbers(const json& a, const json& b) {
  if (a.is_number_float() || b.is_number_float()) {
    const double x = a.get<double>();
    const double y = b.get<double>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  const bool a_negative = IsNegativeInteger(a);
  const bool b_negative = IsNegativeInteger(b);
  if (a_negative != b_negative) {
    return a_negative ? -1 : 1;
  }
  if (a_negative) {
    const int64_t x = a.get<int64_t>();
    const int64_t y = b.get<int64_t>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  const uint64_t x = a.get<uint64_t>();
  const uint64_t y = b.get<uint64_t>();
  return x < y ? -1 : (x > y ? 1 : 0);
}

// JSON equality: numbers by value (1 == 1.0), objects regardless of order.
bool JsonEqual(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) {
    return CompareNumbers(a, b) == 0;
  }
  if (a.type() != b.type()) {
    return false;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) {
      return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
      if (!JsonEqual(a[i], b[i])) {
        return false;
      }
    }
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) {
      return false;
    }
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !JsonEqual(it.value(), *other)) {
        return false;
      }
    }
    return true;
  }
  return a == b;
}

// |v| as mantissa * 10^exponent with no trailing zeros in the mantissa. A
// double is taken at its shortest round-trip decimal form, i.e. as written in
// the JSON document, so 0.0075 is exactly 75e-4.
struct Decimal {
  uint64_t mantissa = 0;
  int exponent = 0;
};

std::optional<Decimal> ToDecimal(const json& v) {
  Decimal d;
  if (v.is_number_unsigned()) {
    d.mantissa = v.get<uint64_t>();
  } else if (v.is_number_integer()) {
    const int64_t i = v.get<int64_t>();
    d.mantissa = i < 0 ? static_cast<uint64_t>(-(i + 1)) + 1 : static_cast<uint64_t>(i);
  } else {
    const double x = std::fabs(v.get<double>());
    if (!std::isfinite(x)) {
      return std::nullopt;
    }
    if (x != 0) {
      char buf[64];
      auto res = std::to_chars(buf, buf + sizeof(buf), x, std::chars_format::scientific);
      const std::string_view text(buf, static_cast<size_t>(res.ptr - buf));
      const size_t e = text.find('e');
      int digits = 0;
      for (size_t i = 0; i < e; ++i) {
        if (text[i] != '.') {
          d.mantissa = d.mantissa * 10 + static_cast<uint64_t>(text[i] - '0');
          ++digits;
        }
      }
      int exponent = 0;
      std::from_chars(text.data() + e + 1 + (text[e + 1] == '+' ? 1 : 0),
                      text.data() + text.size(), exponent);
      d.exponent = exponent - (digits - 1);
    }
  }
  if (d.mantissa == 0) {
    return Decimal{};
  }
  while (d.mantissa % 10 == 0) {
    d.mantissa /= 10;
    ++d.exponent;
  }
  return d;
}

// Exact decimal divisibility: value / base is an integer.
bool IsMultipleOf(const json& value, const json& base) {
  const auto v = ToDecimal(value);
  const auto b = ToDecimal(base);
  if (!v || !b || b->mantissa == 0) {
    return false;
  }
  if (v->mantissa == 0) {
    return true;
  }
  const int shift = v->exponent - b->exponent;
  if (shift < 0) {
    // base's mantissa times 10^-shift would have to divide value's mantissa,
    // which has no factor 10 left.
    return false;
  }
  using U128 = unsigned __int128;
  const uint64_t m = b->mantissa;
  U128 power = 1 % m;
  U128 ten = 10 % m;
  for (int e = shift; e > 0; e >>= 1) {
    if (e & 1) {
      power = power * ten % m;
    }
    ten = ten * ten % m;
  }
  return (static_cast<U128>(v->mantissa % m) * power) % m == 0;
}

bool RegexSearch(const std::regex& re, std::string_view subject) {
  if (subject.size() > kMaxRegexSubjectBytes) {
    return false;
  }
  try {
    return std::regex_search(subject.begin(), subject.end(), re);
  } catch (const std::regex_error&) {
    return false;  // error_complexity / error_stack: treat as no match
  }
}

// ---------------------------------------------------------------------------
// Formats (as ory/jsonschema, which Kratos uses, accepts them).

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Parses exactly `n` digits at s[pos].
std::optional<int> Digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) {
    return std::nullopt;
  }
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!IsDigit(s[i])) {
      return std::nullopt;
    }
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// RFC 3339 full-date: YYYY-MM-DD.
bool IsFullDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') {
    return false;
  }
  const auto y = Digits(s, 0, 4);
  const auto m = Digits(s, 5, 2);
  const auto d = Digits(s, 8, 2);
  return y && m && d && *m >= 1 && *m <= 12 && *d >= 1 && *d <= DaysInMonth(*y, *m);
}

// RFC 3339 full-time as Go's time.Parse reads "15:04:05Z07:00": upper-case Z,
// optional fraction, no leap second.
bool IsFullTime(std::string_view s) {
  const auto h = Digits(s, 0, 2);
  const auto m = Digits(s, 3, 2);
  const auto sec = Digits(s, 6, 2);
  if (!h || !m || !sec || s[2] != ':' || s[5] != ':' || *h > 23 || *m > 59 || *sec > 59) {
    return false;
  }
  size_t pos = 8;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const size_t start = pos;
    while (pos < s.size() && IsDigit(s[pos])) {
      ++pos;
    }
    if (pos == start) {
      return false;
    }
  }
  if (pos == s.size()) {
    return false;
  }
  if (s[pos] == 'Z') {
    return pos + 1 == s.size();
  }
  if (s[pos] != '+' && s[pos] != '-') {
    return false;
  }
  const auto oh = Digits(s, pos + 1, 2);
  const auto om = Digits(s, pos + 4, 2);
  return pos + 6 == s.size() && oh && om && s[pos + 3] == ':' && *oh < 24 && *om < 60;
}

bool IsDateTime(std::string_view s) {
  return s.size() > 11 && s[10] == 'T' && IsFullDate(s.substr(0, 10)) && IsFullTime(s.substr(11));
}

// RFC 1123 host name: LDH labels of 1..63, 253 characters at most, an optional
// trailing dot.
bool IsHostname(std::string_view s) {
  if (!s.empty() && s.back() == '.') {
    s.remove_suffix(1);
  }
  if (s.empty() || s.size() > 253) {
    return false;
  }
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    const std::string_view label =
        s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!IsAlpha(c) && !IsDigit(c) && c != '-') {
        return false;
      }
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

bool IsAtext(unsigned char c) {
  if (c >= 0x80) {
    return true;  // Go's net/mail accepts UTF-8 in atoms
  }
  if (c < '!' || c > '~') {
    return false;
  }
  switch (c) {
    case '(': case ')': case '<': case '>': case '[': case ']': case ':': case ';':
    case '@': case '\\': case ',': case '"': case '.':
      return false;
    default:
      return true;
  }
}

// RFC 5322 local-part: dot-atom or quoted-string.
bool IsLocalPart(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  if (s.front() == '"') {
    if (s.size() < 2 || s.back() != '"') {
      return false;
    }
    for (size_t i = 1; i + 1 < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c == '\\') {
        if (i + 2 >= s.size()) {
          return false;
        }
        ++i;
        continue;
      }
      if (c == '"' || (c < 0x20 && c != '\t') || c == 0x7F) {
        return false;
      }
    }
    return true;
  }
  bool previous_dot = true;  // no leading dot
  for (char ch : s) {
    if (ch == '.') {
      if (previous_dot) {
        return false;
      }
      previous_dot = true;
    } else if (IsAtext(static_cast<unsigned char>(ch))) {
      previous_dot = false;
    } else {
      return false;
    }
  }
  return !previous_dot;
}

// ory/jsonschema's isEmail: at most 254 bytes, local part of at most 64, the
// domain a host name, and the whole a bare RFC 5322 address.
bool IsEmail(std::string_view s) {
  if (s.size() > 254) {
    return false;
  }
  const size_t at = s.rfind('@');
  if (at == std::string_view::npos) {
    return false;
  }
  const std::string_view local = s.substr(0, at);
  return local.size() <= 64 && IsHostname(s.substr(at + 1)) && IsLocalPart(local);
}

// Dotted quad; leading zeros are accepted as Go's strconv.Atoi does.
bool IsIpv4(std::string_view s) {
  int groups = 0;
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    const std::string_view g =
        s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (g.empty()) {
      return false;
    }
    int v = 0;
    for (char c : g) {
      if (!IsDigit(c)) {
        return false;
      }
      v = v * 10 + (c - '0');
      if (v > 255) {
        return false;
      }
    }
    ++groups;
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  return groups == 4;
}

// RFC 4291 text form as Go's net.ParseIP reads it (no zone, trailing dotted
// quad allowed).
bool IsIpv6(std::string_view s) {
  if (s.find(':') == std::string_view::npos) {
    return false;
  }
  int groups = 0;  // 16-bit groups produced
  bool ellipsis = false;
  size_t i = 0;
  if (s.substr(0, 2) == "::") {
    ellipsis = true;
    i = 2;
    if (i == s.size()) {
      return true;
    }
  }
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && IsHex(s[j]) && j - i < 5) {
      ++j;
    }
    if (j < s.size() && s[j] == '.') {
      // Embedded IPv4 must end the address and fit in the last two groups.
      if (!IsIpv4(s.substr(i)) || groups > 6) {
        return false;
      }
      groups += 2;
      i = s.size();
      break;
    }
    if (j == i || j - i > 4) {
      return false;
    }
    ++groups;
    if (groups > 8) {
      return false;
    }
    i = j;
    if (i == s.size()) {
      break;
    }
    if (s[i] != ':') {
      return false;
    }
    if (i + 1 < s.size() && s[i + 1] == ':') {
      if (ellipsis) {
        return false;
      }
      ellipsis = true;
      i += 2;
      if (i == s.size()) {
        break;
      }
    } else {
      ++i;
      if (i == s.size()) {
        return false;  // trailing single colon
      }
    }
  }
  return ellipsis ? groups < 8 : groups == 8;
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) {
    return false;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !IsHex(s[i])) {
      return false;
    }
  }
  return true;
}

bool ValidPercentEscapes(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !IsHex(s[i + 1]) || !IsHex(s[i + 2])) {
        return false;
      }
      i += 2;
    }
  }
  return true;
}

// An absolute URI (RFC 3986 scheme ":" hier-part), checked about as strictly
// as Go's url.Parse followed by IsAbs: scheme, no control characters or
// spaces, well-formed %-escapes, a plausible authority.
bool IsUri(std::string_view s) {
  if (s.empty() || !IsAlpha(s[0])) {
    return false;
  }
  size_t colon = 1;
  while (colon < s.size() && (IsAlpha(s[colon]) || IsDigit(s[colon]) || s[colon] == '+' ||
                              s[colon] == '-' || s[colon] == '.')) {
    ++colon;
  }
  if (colon >= s.size() || s[colon] != ':') {
    return false;
  }
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F || c == '\\' || c == '"' || c == '<' || c == '>' || c == '^' ||
        c == '`' || c == '{' || c == '|' || c == '}') {
      return false;
    }
  }
  if (!ValidPercentEscapes(s)) {
    return false;
  }
  std::string_view rest = s.substr(colon + 1);
  if (rest.substr(0, 2) != "//") {
    return true;
  }
  std::string_view authority = rest.substr(2, rest.find_first_of("/?#", 2) - 2);
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos || !IsIpv6(authority.substr(1, close - 1))) {
      return false;
    }
    host = {};
    port = authority.substr(close + 1);
    if (!port.empty() && port.front() != ':') {
      return false;
    }
  } else if (const size_t c = authority.rfind(':'); c != std::string_view::npos) {
    host = authority.substr(0, c);
    port = authority.substr(c);
  }
  for (size_t i = 1; i < port.size(); ++i) {
    if (!IsDigit(port[i])) {
      return false;
    }
  }
  for (char ch : host) {
    const auto c = static_cast<unsigned char>(ch);
    if (!(IsAlpha(ch) || IsDigit(ch) || c >= 0x80 ||
          std::string_view("-._~!$&'()*+,;=%").find(ch) != std::string_view::npos)) {
      return false;
    }
  }
  return true;
}

// ITU-T E.164 country calling codes (the ones libphonenumber knows).
bool IsCountryCode(int cc) {
  static constexpr int kCodes[] = {
      1,   7,   20,  27,  30,  31,  32,  33,  34,  36,  39,  40,  41,  43,  44,  45,  46,  47,
      48,  49,  51,  52,  53,  54,  55,  56,  57,  58,  60,  61,  62,  63,  64,  65,  66,  81,
      82,  84,  86,  90,  91,  92,  93,  94,  95,  98,  211, 212, 213, 216, 218, 220, 221, 222,
      223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240,
      241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255, 256, 257, 258,
      260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 290, 291, 297, 298, 299, 350, 351, 352,
      353, 354, 355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375, 376, 377, 378, 380, 381,
      382, 383, 385, 386, 387, 389, 420, 421, 423, 500, 501, 502, 503, 504, 505, 506, 507, 508,
      509, 590, 591, 592, 593, 594, 595, 596, 597, 598, 599, 670, 672, 673, 674, 675, 676, 677,
      678, 679, 680, 681, 682, 683, 685, 686, 687, 688, 689, 690, 691, 692, 800, 808, 850, 852,
      853, 855, 856, 870, 878, 880, 881, 882, 883, 886, 888, 960, 961, 962, 963, 964, 965, 966,
      967, 968, 970, 971, 972, 973, 974, 975, 976, 977, 979, 992, 993, 994, 995, 996, 998};
  for (int code : kCodes) {
    if (code == cc) {
      return true;
    }
  }
  return false;
}

// An international number as libphonenumber parses it without a default
// region: "+", an assigned country code, then a national number of plausible
// length. Spaces, dashes, dots, slashes and parentheses may separate digits.
bool IsTel(std::string_view s) {
  if (s.empty() || s.front() != '+') {
    return false;
  }
  std::string digits;
  for (size_t i = 1; i < s.size(); ++i) {
    const char c = s[i];
    if (IsDigit(c)) {
      digits += c;
    } else if (std::string_view(" -./()").find(c) == std::string_view::npos) {
      return false;
    }
  }
  if (digits.empty() || digits.size() > 15 || digits.front() == '0') {
    return false;
  }
  for (size_t len = 1; len <= 3 && len < digits.size(); ++len) {
    const int cc = std::stoi(digits.substr(0, len));
    if (!IsCountryCode(cc)) {
      continue;
    }
    const std::string_view national = std::string_view(digits).substr(len);
    if (cc == 1 || cc == 7) {
      // NANP and Russia/Kazakhstan: ten-digit national numbers.
      return national.size() == 10 && national.front() >= '2';
    }
    return national.size() >= 4 && national.size() <= 14;
  }
  return false;
}

using FormatFn = bool (*)(std::string_view);

FormatFn LookupFormat(std::string_view name) {
  static const std::pair<std::string_view, FormatFn> kFormats[] = {
      {"email", IsEmail},       {"uri", IsUri},         {"date", IsFullDate},
      {"date-time", IsDateTime}, {"time", IsFullTime},  {"tel", IsTel},
      {"uuid", IsUuid},         {"hostname", IsHostname}, {"ipv4", IsIpv4},
      {"ipv6", IsIpv6},
  };
  for (const auto& [format, fn] : kFormats) {
    if (format == name) {
      return fn;
    }
  }
  return nullptr;
}

// ---------------------------------------------------------------------------
// Compiled form.

enum TypeBit : uint8_t {
  kTypeNull = 1 << 0,
  kTypeBoolean = 1 << 1,
  kTypeObject = 1 << 2,
  kTypeArray = 1 << 3,
  kTypeNumber = 1 << 4,
  kTypeString = 1 << 5,
  kTypeInteger = 1 << 6,
};

std::optional<uint8_t> TypeBitFor(std::string_view name) {
  static const std::pair<std::string_view, uint8_t> kTypes[] = {
      {"null", kTypeNull},     {"boolean", kTypeBoolean}, {"object", kTypeObject},
      {"array", kTypeArray},   {"number", kTypeNumber},   {"string", kTypeString},
      {"integer", kTypeInteger},
  };
  for (const auto& [type, bit] : kTypes) {
    if (type == name) {
      return bit;
    }
  }
  return std::nullopt;
}

struct Pattern {
  std::string source;
  std::regex re;
};

struct PatternProperty {
  Pattern pattern;
  size_t schema;
};

struct Dependency {
  std::string name;
  std::vector<std::string> required;  // array form
  std::optional<size_t> schema;       // schema form
};

// `additionalProperties` / `additionalItems`: absent or true, false, a schema.
enum class Additional { kAllowed, kForbidden, kSchema };

struct Node {
  const json* raw = nullptr;
  std::string ptr;              // "#"-less JSON pointer of this schema in the document
  std::optional<bool> always;   // boolean schema
  std::optional<size_t> ref;    // `$ref`: every other keyword is ignored

  uint8_t types = 0;
  std::vector<std::string> type_names;  // as written, for the error text
  std::optional<json> constant;
  std::optional<std::vector<json>> enumeration;
  std::string enum_error;
  std::string format;
  FormatFn format_fn = nullptr;
  std::optional<size_t> not_schema;
  std::vector<size_t> all_of;
  std::vector<size_t> any_of;
  std::vector<size_t> one_of;
  std::optional<size_t> if_schema;
  std::optional<size_t> then_schema;
  std::optional<size_t> else_schema;

  std::optional<uint64_t> min_properties;
  std::optional<uint64_t> max_properties;
  std::vector<std::string> required;
  std::map<std::string, size_t> properties;
  std::vector<PatternProperty> pattern_properties;
  Additional additional_properties = Additional::kAllowed;
  size_t additional_properties_schema = 0;
  std::optional<size_t> property_names;
  std::vector<Dependency> dependencies;

  std::optional<uint64_t> min_items;
  std::optional<uint64_t> max_items;
  bool unique_items = false;
  std::optional<size_t> items;       // single schema for every item
  std::vector<size_t> tuple_items;   // array form
  bool has_tuple_items = false;
  Additional additional_items = Additional::kAllowed;
  size_t additional_items_schema = 0;
  std::optional<size_t> contains;

  std::optional<uint64_t> min_length;
  std::optional<uint64_t> max_length;
  std::optional<Pattern> pattern;

  std::optional<json> minimum;
  std::optional<json> maximum;
  std::optional<json> exclusive_minimum;
  std::optional<json> exclusive_maximum;
  std::optional<json> multiple_of;
};

tl::unexpected<Error> SchemaError(const std::string& ptr, const std::string& what) {
  return MakeError(Code::kInvalidArgument, "invalid JSON schema at \"#" + ptr + "\": " + what);
}

Result<Pattern> CompilePattern(const std::string& source, const std::string& ptr) {
  try {
    return Pattern{source, std::regex(source, std::regex::ECMAScript)};
  } catch (const std::regex_error& e) {
    return SchemaError(ptr, "regular expression " + GoQuote(source) + " is not supported: " +
                                e.what());
  }
}

std::optional<int> HexValue(char c) {
  if (IsDigit(c)) {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return std::nullopt;
}

class Compiler {
 public:
  Compiler(const json& root, std::vector<Node>& nodes) : root_(root), nodes_(nodes) {
    if (!root.is_object()) {
      return;
    }
    for (const char* key : {"$id", "id"}) {
      auto it = root.find(key);
      if (it != root.end() && it->is_string()) {
        root_id_ = it->get<std::string>();
        root_id_ = root_id_.substr(0, root_id_.find('#'));
        break;
      }
    }
  }

  // Compiles the schema at `ptr` once; later calls (and `$ref`s) reuse it.
  Result<size_t> CompileAt(const json& schema, const std::string& ptr, int depth) {
    if (auto it = by_ptr_.find(ptr); it != by_ptr_.end()) {
      return it->second;
    }
    if (depth > kMaxDepth) {
      return SchemaError(ptr, "schema nesting is too deep");
    }
    const size_t index = nodes_.size();
    nodes_.emplace_back();
    by_ptr_.emplace(ptr, index);
    MNEME_TRY(Node node, Build(schema, ptr, depth));
    nodes_[index] = std::move(node);
    return index;
  }

  // A `$ref` chain that never reaches a real schema would loop forever.
  Status CheckRefCycles() const {
    for (const Node& start : nodes_) {
      const Node* n = &start;
      size_t steps = 0;
      while (n->ref) {
        if (++steps > nodes_.size()) {
          return SchemaError(start.ptr, "$ref cycle");
        }
        n = &nodes_[*n->ref];
      }
    }
    return OkStatus();
  }

 private:
  // The subschema under `key`, which the caller has seen in `parent`.
  Result<size_t> Child(const json& parent, const std::string& ptr, std::string_view key,
                       int depth) {
    auto it = parent.find(std::string(key));
    if (it == parent.end()) {
      return SchemaError(ptr, std::string(key) + " is missing");
    }
    return CompileAt(*it, ChildPointer(ptr, key), depth + 1);
  }

  Result<std::vector<size_t>> SchemaArray(const json& value, const std::string& ptr,
                                          std::string_view key, int depth) {
    if (!value.is_array() || value.empty()) {
      return SchemaError(ptr, std::string(key) + " must be a non-empty array of schemas");
    }
    std::vector<size_t> out;
    const std::string base = ChildPointer(ptr, key);
    for (size_t i = 0; i < value.size(); ++i) {
      MNEME_TRY(size_t index, CompileAt(value[i], ChildPointer(base, std::to_string(i)),
                                        depth + 1));
      out.push_back(index);
    }
    return out;
  }

  Result<std::vector<std::string>> StringArray(const json& value, const std::string& ptr,
                                               const std::string& what) {
    if (!value.is_array()) {
      return SchemaError(ptr, what + " must be an array of strings");
    }
    std::vector<std::string> out;
    for (const auto& item : value) {
      if (!item.is_string()) {
        return SchemaError(ptr, what + " must be an array of strings");
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  static Result<std::optional<uint64_t>> NonNegative(const json& schema, const std::string& ptr,
                                                     const char* key) {
    auto it = schema.find(key);
    if (it == schema.end()) {
      return std::optional<uint64_t>();
    }
    if (!it->is_number() || !IsIntegral(*it) || IsNegativeInteger(*it) ||
        (it->is_number_float() && it->get<double>() < 0)) {
      return SchemaError(ptr, std::string(key) + " must be a non-negative integer");
    }
    if (it->is_number_float()) {
      const double d = it->get<double>();
      return std::optional<uint64_t>(d >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(d));
    }
    return std::optional<uint64_t>(it->get<uint64_t>());
  }

  static Result<std::optional<json>> Number(const json& schema, const std::string& ptr,
                                            const char* key) {
    auto it = schema.find(key);
    if (it == schema.end()) {
      return std::optional<json>();
    }
    if (!it->is_number()) {
      return SchemaError(ptr, std::string(key) + " must be a number");
    }
    return std::optional<json>(*it);
  }

  // Resolves a local reference to the node for its target.
  Result<size_t> ResolveRef(const std::string& ref, const std::string& ptr, int depth) {
    const size_t hash = ref.find('#');
    const std::string base = ref.substr(0, hash);
    if (!base.empty() && base != root_id_) {
      return SchemaError(ptr, "$ref " + GoQuote(ref) +
                                  " is not a local reference (remote references are not "
                                  "supported)");
    }
    std::string fragment;
    if (hash != std::string::npos) {
      const std::string raw = ref.substr(hash + 1);
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '%') {
          const auto hi = i + 2 < raw.size() ? HexValue(raw[i + 1]) : std::nullopt;
          const auto lo = i + 2 < raw.size() ? HexValue(raw[i + 2]) : std::nullopt;
          if (!hi || !lo) {
            return SchemaError(ptr, "$ref " + GoQuote(ref) + " has a bad %-escape");
          }
          fragment += static_cast<char>(*hi * 16 + *lo);
          i += 2;
        } else {
          fragment += raw[i];
        }
      }
    }
    if (!fragment.empty() && fragment.front() != '/') {
      return SchemaError(ptr, "$ref " + GoQuote(ref) +
                                  ": only JSON-pointer fragments are supported");
    }
    const json* target = &root_;
    std::string canonical;
    size_t pos = 0;
    while (pos < fragment.size()) {
      const size_t next = fragment.find('/', pos + 1);
      const std::string escaped =
          fragment.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1);
      std::string token;
      for (size_t i = 0; i < escaped.size(); ++i) {
        if (escaped[i] != '~') {
          token += escaped[i];
        } else if (i + 1 < escaped.size() && (escaped[i + 1] == '0' || escaped[i + 1] == '1')) {
          token += escaped[i + 1] == '0' ? '~' : '/';
          ++i;
        } else {
          return SchemaError(ptr, "$ref " + GoQuote(ref) + " has a bad ~-escape");
        }
      }
      if (target->is_object()) {
        auto it = target->find(token);
        if (it == target->end()) {
          return SchemaError(ptr, "$ref " + GoQuote(ref) + " does not resolve");
        }
        target = &*it;
      } else if (target->is_array()) {
        size_t index = 0;
        auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
        if (token.empty() || ec != std::errc() || end != token.data() + token.size() ||
            index >= target->size()) {
          return SchemaError(ptr, "$ref " + GoQuote(ref) + " does not resolve");
        }
        target = &(*target)[index];
      } else {
        return SchemaError(ptr, "$ref " + GoQuote(ref) + " does not resolve");
      }
      AppendPointerToken(canonical, token);
      pos = next == std::string::npos ? fragment.size() : next;
    }
    return CompileAt(*target, canonical, depth + 1);
  }

  Result<Node> Build(const json& s, const std::string& ptr, int depth) {
    Node n;
    n.raw = &s;
    n.ptr = ptr;
    if (s.is_boolean()) {
      n.always = s.get<bool>();
      return n;
    }
    if (!s.is_object()) {
      return SchemaError(ptr, "a schema must be an object or a boolean");
    }
    // Definitions are compiled even when unused so that mistakes surface.
    for (const char* key : {"definitions", "$defs"}) {
      if (auto it = s.find(key); it != s.end()) {
        if (!it->is_object()) {
          return SchemaError(ptr, std::string(key) + " must be an object of schemas");
        }
        const std::string base = ChildPointer(ptr, key);
        for (auto d = it->begin(); d != it->end(); ++d) {
          MNEME_TRY(size_t unused, CompileAt(d.value(), ChildPointer(base, d.key()), depth + 1));
          (void)unused;
        }
      }
    }
    if (auto it = s.find("$ref"); it != s.end()) {
      if (!it->is_string()) {
        return SchemaError(ptr, "$ref must be a string");
      }
      MNEME_TRY(size_t target, ResolveRef(it->get<std::string>(), ptr, depth));
      n.ref = target;
      return n;  // draft 4-7: siblings of $ref are ignored
    }
    MNEME_RETURN_IF_ERROR(BuildGeneric(s, ptr, depth, n));
    MNEME_RETURN_IF_ERROR(BuildObject(s, ptr, depth, n));
    MNEME_RETURN_IF_ERROR(BuildArray(s, ptr, depth, n));
    MNEME_RETURN_IF_ERROR(BuildScalar(s, ptr, n));
    return n;
  }

  Status BuildGeneric(const json& s, const std::string& ptr, int depth, Node& n) {
    if (auto it = s.find("type"); it != s.end()) {
      std::vector<std::string> names;
      if (it->is_string()) {
        names.push_back(it->get<std::string>());
      } else if (it->is_array() && !it->empty()) {
        MNEME_TRY(names, StringArray(*it, ptr, "type"));
      } else {
        return SchemaError(ptr, "type must be a type name or a non-empty array of them");
      }
      for (const auto& name : names) {
        const auto bit = TypeBitFor(name);
        if (!bit) {
          return SchemaError(ptr, "unknown type " + GoQuote(name));
        }
        n.types |= *bit;
      }
      n.type_names = std::move(names);
    }
    if (auto it = s.find("const"); it != s.end()) {
      n.constant = *it;
    }
    if (auto it = s.find("enum"); it != s.end()) {
      if (!it->is_array()) {
        return SchemaError(ptr, "enum must be an array");
      }
      n.enumeration = it->get<std::vector<json>>();
      bool primitive = true;
      for (const auto& v : *n.enumeration) {
        primitive = primitive && !v.is_object() && !v.is_array();
      }
      if (!primitive) {
        n.enum_error = "enum failed";
      } else if (n.enumeration->size() == 1) {
        n.enum_error = "value must be " + GoSharpV(n.enumeration->front());
      } else {
        n.enum_error = "value must be one of ";
        for (size_t i = 0; i < n.enumeration->size(); ++i) {
          n.enum_error += (i == 0 ? "" : ", ") + GoSharpV((*n.enumeration)[i]);
        }
      }
    }
    if (auto it = s.find("format"); it != s.end()) {
      if (!it->is_string()) {
        return SchemaError(ptr, "format must be a string");
      }
      n.format = it->get<std::string>();
      n.format_fn = LookupFormat(n.format);
    }
    if (s.contains("not")) {
      MNEME_TRY(n.not_schema, Child(s, ptr, "not", depth));
    }
    for (auto [key, out] : {std::pair{"allOf", &n.all_of}, std::pair{"anyOf", &n.any_of},
                            std::pair{"oneOf", &n.one_of}}) {
      if (auto it = s.find(key); it != s.end()) {
        MNEME_TRY(*out, SchemaArray(*it, ptr, key, depth));
      }
    }
    for (auto [key, out] : {std::pair{"if", &n.if_schema}, std::pair{"then", &n.then_schema},
                            std::pair{"else", &n.else_schema}}) {
      if (s.contains(key)) {
        MNEME_TRY(*out, Child(s, ptr, key, depth));
      }
    }
    return OkStatus();
  }

  Status BuildObject(const json& s, const std::string& ptr, int depth, Node& n) {
    MNEME_TRY(n.min_properties, NonNegative(s, ptr, "minProperties"));
    MNEME_TRY(n.max_properties, NonNegative(s, ptr, "maxProperties"));
    if (auto it = s.find("required"); it != s.end()) {
      MNEME_TRY(n.required, StringArray(*it, ptr, "required"));
    }
    if (auto it = s.find("properties"); it != s.end()) {
      if (!it->is_object()) {
        return SchemaError(ptr, "properties must be an object of schemas");
      }
      const std::string base = ChildPointer(ptr, "properties");
      for (auto p = it->begin(); p != it->end(); ++p) {
        MNEME_TRY(size_t index, CompileAt(p.value(), ChildPointer(base, p.key()), depth + 1));
        n.properties.emplace(p.key(), index);
      }
    }
    if (auto it = s.find("patternProperties"); it != s.end()) {
      if (!it->is_object()) {
        return SchemaError(ptr, "patternProperties must be an object of schemas");
      }
      const std::string base = ChildPointer(ptr, "patternProperties");
      for (auto p = it->begin(); p != it->end(); ++p) {
        MNEME_TRY(Pattern pattern, CompilePattern(p.key(), base));
        MNEME_TRY(size_t index, CompileAt(p.value(), ChildPointer(base, p.key()), depth + 1));
        n.pattern_properties.push_back(PatternProperty{std::move(pattern), index});
      }
    }
    if (auto it = s.find("additionalProperties"); it != s.end()) {
      if (it->is_boolean()) {
        n.additional_properties = it->get<bool>() ? Additional::kAllowed : Additional::kForbidden;
      } else {
        MNEME_TRY(n.additional_properties_schema, Child(s, ptr, "additionalProperties", depth));
        n.additional_properties = Additional::kSchema;
      }
    }
    if (s.contains("propertyNames")) {
      MNEME_TRY(n.property_names, Child(s, ptr, "propertyNames", depth));
    }
    if (auto it = s.find("dependencies"); it != s.end()) {
      if (!it->is_object()) {
        return SchemaError(ptr, "dependencies must be an object");
      }
      const std::string base = ChildPointer(ptr, "dependencies");
      for (auto d = it->begin(); d != it->end(); ++d) {
        Dependency dep;
        dep.name = d.key();
        if (d.value().is_array()) {
          MNEME_TRY(dep.required, StringArray(d.value(), base, "dependencies/" + d.key()));
        } else {
          MNEME_TRY(dep.schema, CompileAt(d.value(), ChildPointer(base, d.key()), depth + 1));
        }
        n.dependencies.push_back(std::move(dep));
      }
    }
    return OkStatus();
  }

  Status BuildArray(const json& s, const std::string& ptr, int depth, Node& n) {
    MNEME_TRY(n.min_items, NonNegative(s, ptr, "minItems"));
    MNEME_TRY(n.max_items, NonNegative(s, ptr, "maxItems"));
    if (auto it = s.find("uniqueItems"); it != s.end()) {
      if (!it->is_boolean()) {
        return SchemaError(ptr, "uniqueItems must be a boolean");
      }
      n.unique_items = it->get<bool>();
    }
    if (auto it = s.find("items"); it != s.end()) {
      if (it->is_array()) {
        n.has_tuple_items = true;
        const std::string base = ChildPointer(ptr, "items");
        for (size_t i = 0; i < it->size(); ++i) {
          MNEME_TRY(size_t index,
                    CompileAt((*it)[i], ChildPointer(base, std::to_string(i)), depth + 1));
          n.tuple_items.push_back(index);
        }
      } else {
        MNEME_TRY(n.items, Child(s, ptr, "items", depth));
      }
    }
    if (auto it = s.find("additionalItems"); it != s.end()) {
      if (it->is_boolean()) {
        n.additional_items = it->get<bool>() ? Additional::kAllowed : Additional::kForbidden;
      } else {
        MNEME_TRY(n.additional_items_schema, Child(s, ptr, "additionalItems", depth));
        n.additional_items = Additional::kSchema;
      }
    }
    if (s.contains("contains")) {
      MNEME_TRY(n.contains, Child(s, ptr, "contains", depth));
    }
    return OkStatus();
  }

  Status BuildScalar(const json& s, const std::string& ptr, Node& n) {
    MNEME_TRY(n.min_length, NonNegative(s, ptr, "minLength"));
    MNEME_TRY(n.max_length, NonNegative(s, ptr, "maxLength"));
    if (auto it = s.find("pattern"); it != s.end()) {
      if (!it->is_string()) {
        return SchemaError(ptr, "pattern must be a string");
      }
      MNEME_TRY(n.pattern, CompilePattern(it->get<std::string>(), ptr));
    }
    MNEME_TRY(n.minimum, Number(s, ptr, "minimum"));
    MNEME_TRY(n.maximum, Number(s, ptr, "maximum"));
    MNEME_TRY(n.multiple_of, Number(s, ptr, "multipleOf"));
    if (n.multiple_of && !(n.multiple_of->get<double>() > 0)) {
      return SchemaError(ptr, "multipleOf must be greater than 0");
    }
    // Draft 4 spells exclusive bounds as booleans next to minimum/maximum;
    // draft 6+ as numbers of their own.
    for (auto [key, bound, exclusive] :
         {std::tuple{"exclusiveMinimum", &n.minimum, &n.exclusive_minimum},
          std::tuple{"exclusiveMaximum", &n.maximum, &n.exclusive_maximum}}) {
      auto it = s.find(key);
      if (it == s.end()) {
        continue;
      }
      if (it->is_boolean()) {
        if (it->get<bool>() && *bound) {
          *exclusive = std::move(*bound);
          bound->reset();
        }
      } else if (it->is_number()) {
        *exclusive = *it;
      } else {
        return SchemaError(ptr, std::string(key) + " must be a boolean or a number");
      }
    }
    return OkStatus();
  }

  const json& root_;
  std::vector<Node>& nodes_;
  std::map<std::string, size_t> by_ptr_;
  std::string root_id_;
};

// ---------------------------------------------------------------------------
// Validation.

ValidationError Generic(const std::string& ptr, std::string keyword, std::string text) {
  json context = {{"reason", text}};
  return ValidationError{ptr, kErrorValidationGeneric, std::move(text), std::move(context),
                         std::move(keyword)};
}

bool TypeMatches(uint8_t types, const json& v) {
  switch (v.type()) {
    case json::value_t::null: return (types & kTypeNull) != 0;
    case json::value_t::boolean: return (types & kTypeBoolean) != 0;
    case json::value_t::object: return (types & kTypeObject) != 0;
    case json::value_t::array: return (types & kTypeArray) != 0;
    case json::value_t::string: return (types & kTypeString) != 0;
    default:
      return (types & kTypeNumber) != 0 || ((types & kTypeInteger) != 0 && IsIntegral(v));
  }
}

class Validator {
 public:
  // With a null sink, Check() stops at the first failure and records nothing.
  Validator(const std::vector<Node>& nodes, std::vector<ValidationError>* sink)
      : nodes_(nodes), sink_(sink) {}

  bool Check(size_t index, const json& v, std::string& ptr, int depth) {
    if (depth > kMaxDepth) {
      bool ok = true;
      Fail(ok, [&] { return Generic(ptr, "$ref", "schema recursion is too deep"); });
      return false;
    }
    const Node& n = nodes_[index];
    if (n.always) {
      bool ok = *n.always;
      if (!ok) {
        Fail(ok, [&] { return Generic(ptr, "false", "always fail"); });
      }
      return ok;
    }
    if (n.ref) {
      return Check(*n.ref, v, ptr, depth + 1);
    }
    bool ok = true;
    if (n.types != 0 && !TypeMatches(n.types, v)) {
      // Like ory/jsonschema, a type mismatch is the only error for this schema.
      Fail(ok, [&] { return TypeError(n, v, ptr); });
      return false;
    }
    if (!CheckGeneric(n, v, ptr, depth, ok) && sink_ == nullptr) {
      return false;
    }
    if (v.is_object()) {
      CheckObject(n, v, ptr, depth, ok);
    } else if (v.is_array()) {
      CheckArray(n, v, ptr, depth, ok);
    } else if (v.is_string()) {
      CheckString(n, v.get_ref<const std::string&>(), ptr, ok);
    } else if (v.is_number()) {
      CheckNumber(n, v, ptr, ok);
    }
    return ok;
  }

  bool Passes(size_t index, const json& v, const std::string& ptr, int depth) const {
    Validator quiet(nodes_, nullptr);
    std::string scratch = ptr;
    return quiet.Check(index, v, scratch, depth);
  }

 private:
  // Records a failure built by `make` (unless quiet). Returns true when the
  // caller should stop, i.e. in quiet mode.
  template <typename Make>
  bool Fail(bool& ok, Make&& make) {
    ok = false;
    if (sink_ == nullptr) {
      return true;
    }
    sink_->push_back(make());
    return false;
  }

  // Validates a subschema, folding its verdict into `ok`. True means stop.
  bool Sub(size_t index, const json& v, std::string& ptr, int depth, bool& ok) {
    if (Check(index, v, ptr, depth + 1)) {
      return false;
    }
    ok = false;
    return sink_ == nullptr;
  }

  static ValidationError TypeError(const Node& n, const json& v, const std::string& ptr) {
    std::string allowed;
    for (const auto& name : n.type_names) {
      allowed += (allowed.empty() ? "" : " or ") + name;
    }
    const std::string actual = JsonTypeName(v);
    return ValidationError{ptr, kErrorValidationWrongType,
                           "expected " + allowed + ", but got " + actual,
                           {{"allowed_types", n.type_names}, {"actual_type", actual}}, "type"};
  }

  // const, enum, format, not and the applicators. False means stop (quiet).
  bool CheckGeneric(const Node& n, const json& v, std::string& ptr, int depth, bool& ok) {
    if (n.constant && !JsonEqual(v, *n.constant)) {
      const bool stop = Fail(ok, [&] {
        if (n.constant->is_object() || n.constant->is_array()) {
          return ValidationError{ptr, kErrorValidationConstGeneric, "const failed", json(),
                                 "const"};
        }
        const std::string expected = GoSharpV(*n.constant);
        return ValidationError{ptr, kErrorValidationConst, "must be equal to constant " + expected,
                               {{"expected", expected}}, "const"};
      });
      if (stop) {
        return false;
      }
    }
    if (n.enumeration) {
      bool found = false;
      for (const auto& candidate : *n.enumeration) {
        if (JsonEqual(v, candidate)) {
          found = true;
          break;
        }
      }
      if (!found && Fail(ok, [&] { return Generic(ptr, "enum", n.enum_error); })) {
        return false;
      }
    }
    if (n.format_fn != nullptr && v.is_string() && !n.format_fn(v.get_ref<const std::string&>())) {
      const bool stop = Fail(ok, [&] {
        return Generic(ptr, "format",
                       GoQuote(v.get_ref<const std::string&>()) + " is not valid " +
                           GoQuote(n.format));
      });
      if (stop) {
        return false;
      }
    }
    if (n.not_schema && Passes(*n.not_schema, v, ptr, depth + 1) &&
        Fail(ok, [&] { return Generic(ptr, "not", "not failed"); })) {
      return false;
    }
    for (size_t branch : n.all_of) {
      if (Sub(branch, v, ptr, depth, ok)) {
        return false;
      }
    }
    if (!n.any_of.empty()) {
      bool matched = false;
      for (size_t branch : n.any_of) {
        if (Passes(branch, v, ptr, depth + 1)) {
          matched = true;
          break;
        }
      }
      if (!matched) {
        // Kratos reports the failures of every branch.
        ok = false;
        if (sink_ == nullptr) {
          return false;
        }
        for (size_t branch : n.any_of) {
          Check(branch, v, ptr, depth + 1);
        }
      }
    }
    if (!n.one_of.empty()) {
      std::optional<size_t> first;
      std::optional<size_t> second;
      for (size_t i = 0; i < n.one_of.size() && !second; ++i) {
        if (Passes(n.one_of[i], v, ptr, depth + 1)) {
          (first ? second : first) = i;
        }
      }
      if (!first) {
        ok = false;
        if (sink_ == nullptr) {
          return false;
        }
        for (size_t branch : n.one_of) {
          Check(branch, v, ptr, depth + 1);
        }
      } else if (second) {
        const bool stop = Fail(ok, [&] {
          return Generic(ptr, "oneOf",
                         "valid against schemas at indexes " + std::to_string(*first) + " and " +
                             std::to_string(*second));
        });
        if (stop) {
          return false;
        }
      }
    }
    if (n.if_schema) {
      const bool matched = Passes(*n.if_schema, v, ptr, depth + 1);
      const auto& branch = matched ? n.then_schema : n.else_schema;
      if (branch && Sub(*branch, v, ptr, depth, ok)) {
        return false;
      }
    }
    return true;
  }

  bool MatchesPatternProperty(const Node& n, const std::string& key) const {
    for (const auto& pp : n.pattern_properties) {
      if (RegexSearch(pp.pattern.re, key)) {
        return true;
      }
    }
    return false;
  }

  void CheckObject(const Node& n, const json& v, std::string& ptr, int depth, bool& ok) {
    const size_t count = v.size();
    if (n.min_properties && count < *n.min_properties &&
        Fail(ok, [&] {
          return Generic(ptr, "minProperties",
                         "minimum " + std::to_string(*n.min_properties) +
                             " properties allowed, but found " + std::to_string(count) +
                             " properties");
        })) {
      return;
    }
    if (n.max_properties && count > *n.max_properties &&
        Fail(ok, [&] {
          return Generic(ptr, "maxProperties",
                         "maximum " + std::to_string(*n.max_properties) +
                             " properties allowed, but found " + std::to_string(count) +
                             " properties");
        })) {
      return;
    }
    for (const auto& name : n.required) {
      if (v.contains(name)) {
        continue;
      }
      const bool stop = Fail(ok, [&] {
        return ValidationError{ChildPointer(ptr, name), kErrorValidationRequired,
                               "Property " + name + " is missing.", {{"property", name}},
                               "required"};
      });
      if (stop) {
        return;
      }
    }
    for (const auto& [name, schema] : n.properties) {
      auto it = v.find(name);
      if (it == v.end()) {
        continue;
      }
      PointerScope scope(ptr, name);
      if (Sub(schema, *it, ptr, depth, ok)) {
        return;
      }
    }
    for (const auto& pp : n.pattern_properties) {
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!RegexSearch(pp.pattern.re, it.key())) {
          continue;
        }
        PointerScope scope(ptr, it.key());
        if (Sub(pp.schema, it.value(), ptr, depth, ok)) {
          return;
        }
      }
    }
    if (n.additional_properties != Additional::kAllowed) {
      std::string forbidden;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (n.properties.count(it.key()) != 0 || MatchesPatternProperty(n, it.key())) {
          continue;
        }
        if (n.additional_properties == Additional::kForbidden) {
          forbidden += (forbidden.empty() ? "" : ", ") + GoQuote(it.key());
          continue;
        }
        PointerScope scope(ptr, it.key());
        if (Sub(n.additional_properties_schema, it.value(), ptr, depth, ok)) {
          return;
        }
      }
      if (!forbidden.empty() &&
          Fail(ok, [&] {
            return Generic(ptr, "additionalProperties",
                           "additionalProperties " + forbidden + " not allowed");
          })) {
        return;
      }
    }
    if (n.property_names) {
      for (auto it = v.begin(); it != v.end(); ++it) {
        PointerScope scope(ptr, it.key());
        if (Sub(*n.property_names, json(it.key()), ptr, depth, ok)) {
          return;
        }
      }
    }
    for (const auto& dep : n.dependencies) {
      if (!v.contains(dep.name)) {
        continue;
      }
      if (dep.schema) {
        if (Sub(*dep.schema, v, ptr, depth, ok)) {
          return;
        }
        continue;
      }
      for (const auto& name : dep.required) {
        if (v.contains(name)) {
          continue;
        }
        const bool stop = Fail(ok, [&] {
          return Generic(ptr, "dependencies",
                         "property " + GoQuote(name) + " is required, if " + GoQuote(dep.name) +
                             " property exists");
        });
        if (stop) {
          return;
        }
      }
    }
  }

  void CheckArray(const Node& n, const json& v, std::string& ptr, int depth, bool& ok) {
    const size_t count = v.size();
    if (n.min_items && count < *n.min_items &&
        Fail(ok, [&] {
          return ValidationError{ptr, kErrorValidationMinItems,
                                 "minimum " + std::to_string(*n.min_items) +
                                     " items allowed, but found " + std::to_string(count) +
                                     " items",
                                 {{"min_items", *n.min_items}, {"actual_items", count}},
                                 "minItems"};
        })) {
      return;
    }
    if (n.max_items && count > *n.max_items &&
        Fail(ok, [&] {
          return ValidationError{ptr, kErrorValidationMaxItems,
                                 "maximum " + std::to_string(*n.max_items) +
                                     " items allowed, but found " + std::to_string(count) +
                                     " items",
                                 {{"max_items", *n.max_items}, {"actual_items", count}},
                                 "maxItems"};
        })) {
      return;
    }
    if (n.unique_items) {
      bool reported = false;
      for (size_t i = 1; i < count && !reported; ++i) {
        for (size_t j = 0; j < i; ++j) {
          if (!JsonEqual(v[i], v[j])) {
            continue;
          }
          reported = true;
          const bool stop = Fail(ok, [&] {
            return ValidationError{ptr, kErrorValidationUniqueItems,
                                   "items at index " + std::to_string(j) + " and " +
                                       std::to_string(i) + " are equal",
                                   {{"index_a", j}, {"index_b", i}}, "uniqueItems"};
          });
          if (stop) {
            return;
          }
          break;
        }
      }
    }
    if (n.items) {
      for (size_t i = 0; i < count; ++i) {
        PointerScope scope(ptr, std::to_string(i));
        if (Sub(*n.items, v[i], ptr, depth, ok)) {
          return;
        }
      }
    } else if (n.has_tuple_items) {
      const size_t fixed = n.tuple_items.size();
      if (n.additional_items == Additional::kForbidden && count > fixed &&
          Fail(ok, [&] {
            return Generic(ptr, "additionalItems",
                           "only " + std::to_string(fixed) + " items are allowed, but found " +
                               std::to_string(count) + " items");
          })) {
        return;
      }
      for (size_t i = 0; i < count; ++i) {
        size_t schema = 0;
        if (i < fixed) {
          schema = n.tuple_items[i];
        } else if (n.additional_items == Additional::kSchema) {
          schema = n.additional_items_schema;
        } else {
          break;
        }
        PointerScope scope(ptr, std::to_string(i));
        if (Sub(schema, v[i], ptr, depth, ok)) {
          return;
        }
      }
    }
    if (n.contains) {
      bool matched = false;
      for (size_t i = 0; i < count && !matched; ++i) {
        matched = Passes(*n.contains, v[i], ChildPointer(ptr, std::to_string(i)), depth + 1);
      }
      if (!matched) {
        if (count == 0) {
          Fail(ok, [&] { return Generic(ptr, "contains", "contains failed"); });
          return;
        }
        ok = false;
        if (sink_ == nullptr) {
          return;
        }
        for (size_t i = 0; i < count; ++i) {
          PointerScope scope(ptr, std::to_string(i));
          Check(*n.contains, v[i], ptr, depth + 1);
        }
      }
    }
  }

  void CheckString(const Node& n, const std::string& s, const std::string& ptr, bool& ok) {
    if (n.min_length || n.max_length) {
      const size_t length = CodePointLength(s);
      if (n.min_length && length < *n.min_length &&
          Fail(ok, [&] {
            return ValidationError{ptr, kErrorValidationMinLength,
                                   "length must be >= " + std::to_string(*n.min_length) +
                                       ", but got " + std::to_string(length),
                                   {{"min_length", *n.min_length}, {"actual_length", length}},
                                   "minLength"};
          })) {
        return;
      }
      if (n.max_length && length > *n.max_length &&
          Fail(ok, [&] {
            return ValidationError{ptr, kErrorValidationMaxLength,
                                   "length must be <= " + std::to_string(*n.max_length) +
                                       ", but got " + std::to_string(length),
                                   {{"max_length", *n.max_length}, {"actual_length", length}},
                                   "maxLength"};
          })) {
        return;
      }
    }
    if (n.pattern && !RegexSearch(n.pattern->re, s)) {
      Fail(ok, [&] {
        return ValidationError{ptr, kErrorValidationInvalidFormat,
                               "does not match pattern " + GoQuote(n.pattern->source),
                               {{"pattern", n.pattern->source}}, "pattern"};
      });
    }
  }

  void CheckNumber(const Node& n, const json& v, const std::string& ptr, bool& ok) {
    struct Bound {
      const std::optional<json>& limit;
      bool (*violated)(int);
      uint32_t id;
      const char* op;
      const char* key;
      const char* keyword;
    };
    const Bound bounds[] = {
        {n.minimum, [](int c) { return c < 0; }, kErrorValidationMinimum, ">=", "minimum",
         "minimum"},
        {n.exclusive_minimum, [](int c) { return c <= 0; }, kErrorValidationExclusiveMinimum, ">",
         "minimum", "exclusiveMinimum"},
        {n.maximum, [](int c) { return c > 0; }, kErrorValidationMaximum, "<=", "maximum",
         "maximum"},
        {n.exclusive_maximum, [](int c) { return c >= 0; }, kErrorValidationExclusiveMaximum, "<",
         "maximum", "exclusiveMaximum"},
    };
    for (const Bound& b : bounds) {
      if (!b.limit || !b.violated(CompareNumbers(v, *b.limit))) {
        continue;
      }
      const bool stop = Fail(ok, [&] {
        const double limit = ToDouble(*b.limit);
        const double actual = ToDouble(v);
        return ValidationError{
            ptr, b.id,
            std::string("must be ") + b.op + " " + GoFloat(limit) + " but found " + GoFloat(actual),
            {{b.key, ContextNumber(limit)}, {"actual", ContextNumber(actual)}}, b.keyword};
      });
      if (stop) {
        return;
      }
    }
    if (n.multiple_of && !IsMultipleOf(v, *n.multiple_of)) {
      Fail(ok, [&] {
        const double base = ToDouble(*n.multiple_of);
        const double actual = ToDouble(v);
        return ValidationError{ptr, kErrorValidationMultipleOf,
                               GoFloat(actual) + " not multipleOf " + GoFloat(base),
                               {{"base", ContextNumber(base)}, {"actual", ContextNumber(actual)}},
                               "multipleOf"};
      });
    }
  }

  const std::vector<Node>& nodes_;
  std::vector<ValidationError>* sink_;
};

void Visit(const std::vector<Node>& nodes, size_t index, const json& v, std::string& ptr,
           int depth, const SchemaVisitor& visitor) {
  if (depth > kMaxDepth) {
    return;
  }
  const Node& n = nodes[index];
  if (n.always) {
    return;
  }
  if (n.ref) {
    Visit(nodes, *n.ref, v, ptr, depth + 1, visitor);
    return;
  }
  visitor(*n.raw, v, ptr);
  const Validator checker(nodes, nullptr);
  for (size_t branch : n.all_of) {
    Visit(nodes, branch, v, ptr, depth + 1, visitor);
  }
  for (size_t branch : n.any_of) {
    if (checker.Passes(branch, v, ptr, depth + 1)) {
      Visit(nodes, branch, v, ptr, depth + 1, visitor);
      break;
    }
  }
  for (size_t branch : n.one_of) {
    if (checker.Passes(branch, v, ptr, depth + 1)) {
      Visit(nodes, branch, v, ptr, depth + 1, visitor);
    }
  }
  if (n.if_schema) {
    const auto& branch = checker.Passes(*n.if_schema, v, ptr, depth + 1) ? n.then_schema
                                                                          : n.else_schema;
    if (branch) {
      Visit(nodes, *branch, v, ptr, depth + 1, visitor);
    }
  }
  if (v.is_object()) {
    for (const auto& dep : n.dependencies) {
      if (dep.schema && v.contains(dep.name)) {
        Visit(nodes, *dep.schema, v, ptr, depth + 1, visitor);
      }
    }
    for (auto it = v.begin(); it != v.end(); ++it) {
      PointerScope scope(ptr, it.key());
      bool matched = false;
      if (auto p = n.properties.find(it.key()); p != n.properties.end()) {
        matched = true;
        Visit(nodes, p->second, it.value(), ptr, depth + 1, visitor);
      }
      for (const auto& pp : n.pattern_properties) {
        if (RegexSearch(pp.pattern.re, it.key())) {
          matched = true;
          Visit(nodes, pp.schema, it.value(), ptr, depth + 1, visitor);
        }
      }
      if (!matched && n.additional_properties == Additional::kSchema) {
        Visit(nodes, n.additional_properties_schema, it.value(), ptr, depth + 1, visitor);
      }
    }
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      std::optional<size_t> schema = n.items;
      if (n.has_tuple_items) {
        if (i < n.tuple_items.size()) {
          schema = n.tuple_items[i];
        } else if (n.additional_items == Additional::kSchema) {
          schema = n.additional_items_schema;
        }
      }
      if (schema) {
        PointerScope scope(ptr, std::to_string(i));
        Visit(nodes, *schema, v[i], ptr, depth + 1, visitor);
      }
    }
  }
}

}  // namespace

struct CompiledSchema::Impl {
  json raw;
  std::vector<Node> nodes;  // nodes[0] is the root schema
};

CompiledSchema::CompiledSchema(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Result<CompiledSchema> CompiledSchema::Compile(const json& schema) {
  auto impl = std::make_shared<Impl>();
  impl->raw = schema;
  Compiler compiler(impl->raw, impl->nodes);
  MNEME_TRY(size_t root, compiler.CompileAt(impl->raw, "", 0));
  (void)root;  // always 0: the first node compiled
  MNEME_RETURN_IF_ERROR(compiler.CheckRefCycles());
  return CompiledSchema(std::move(impl));
}

std::vector<ValidationError> CompiledSchema::Validate(const json& instance) const {
  std::vector<ValidationError> errors;
  Validator validator(impl_->nodes, &errors);
  std::string ptr;
  validator.Check(0, instance, ptr, 0);
  return errors;
}

bool CompiledSchema::IsValid(const json& instance) const {
  return Validator(impl_->nodes, nullptr).Passes(0, instance, "", 0);
}

void CompiledSchema::VisitApplied(const json& instance, const SchemaVisitor& visitor) const {
  std::string ptr;
  Visit(impl_->nodes, 0, instance, ptr, 0, visitor);
}

const json& CompiledSchema::raw() const { return impl_->raw; }

bool CheckFormat(std::string_view format, const json& value) {
  const FormatFn fn = LookupFormat(format);
  return fn == nullptr || !value.is_string() || fn(value.get_ref<const std::string&>());
}

size_t CodePointLength(std::string_view utf8) {
  size_t count = 0;
  for (size_t i = 0; i < utf8.size(); i += DecodeRune(utf8, i).width) {
    ++count;
  }
  return count;
}

}  // namespace mneme::domain::identity
