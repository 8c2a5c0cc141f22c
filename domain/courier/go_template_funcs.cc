#include "domain/courier/go_template_funcs.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "domain/common/utf8.h"

namespace mneme::domain::courier::gotmpl {
namespace {

using Kind = Value::Kind;

constexpr int32_t kRuneError = 0xFFFD;
constexpr int32_t kMaxRune = 0x10FFFF;
constexpr int kMaxFormatDepth = 1000;
constexpr std::string_view kLowerHex = "0123456789abcdef";
constexpr std::string_view kUpperHex = "0123456789ABCDEF";

Error Fail(std::string message) { return Error(Code::kInvalidArgument, std::move(message)); }

struct DecodedRune {
  int32_t r;
  size_t width;
  bool valid;
};

DecodedRune Decode(std::string_view s, size_t i) {
  common::Rune r = common::DecodeRune(s, i);
  return {static_cast<int32_t>(r.cp), r.width, r.valid};
}

size_t RuneCount(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); i += Decode(s, i).width) {
    ++n;
  }
  return n;
}

// unicode.IsSpace.
bool IsSpaceRune(int32_t r) {
  switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200A;
  }
}

// Simple (one rune to one rune) case mapping, as Go's unicode.ToUpper and
// ToLower, for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic. Other
// scripts are returned unchanged.
int32_t ToUpperRune(int32_t r) {
  if (r < 0x80) {
    return (r >= 'a' && r <= 'z') ? r - 32 : r;
  }
  if (r == 0xB5) {
    return 0x39C;
  }
  if ((r >= 0xE0 && r <= 0xFE && r != 0xF7)) {
    return r - 0x20;
  }
  if (r == 0xFF) {
    return 0x178;
  }
  if (r >= 0x100 && r <= 0x17F) {
    if (r == 0x131) {
      return 'I';
    }
    if (r == 0x17F) {
      return 'S';
    }
    if ((r >= 0x100 && r <= 0x137) || (r >= 0x14A && r <= 0x177)) {
      return (r % 2 == 1) ? r - 1 : r;
    }
    if ((r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17E)) {
      return (r % 2 == 0) ? r - 1 : r;
    }
    return r;
  }
  if (r >= 0x3B1 && r <= 0x3C9) {
    return r == 0x3C2 ? 0x3A3 : r - 0x20;
  }
  if (r == 0x3AC) {
    return 0x386;
  }
  if (r >= 0x3AD && r <= 0x3AF) {
    return r - 0x25;
  }
  if (r == 0x3CC) {
    return 0x38C;
  }
  if (r == 0x3CD || r == 0x3CE) {
    return r - 0x3F;
  }
  if (r >= 0x430 && r <= 0x44F) {
    return r - 0x20;
  }
  if (r >= 0x450 && r <= 0x45F) {
    return r - 0x50;
  }
  if ((r >= 0x460 && r <= 0x481) || (r >= 0x48A && r <= 0x4BF)) {
    return (r % 2 == 1) ? r - 1 : r;
  }
  return r;
}

int32_t ToLowerRune(int32_t r) {
  if (r < 0x80) {
    return (r >= 'A' && r <= 'Z') ? r + 32 : r;
  }
  if (r >= 0xC0 && r <= 0xDE && r != 0xD7) {
    return r + 0x20;
  }
  if (r == 0x178) {
    return 0xFF;
  }
  if (r >= 0x100 && r <= 0x17F) {
    if (r == 0x130) {
      return 'i';
    }
    if ((r >= 0x100 && r <= 0x137) || (r >= 0x14A && r <= 0x177)) {
      return (r % 2 == 0) ? r + 1 : r;
    }
    if ((r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17E)) {
      return (r % 2 == 1) ? r + 1 : r;
    }
    return r;
  }
  if (r >= 0x391 && r <= 0x3A9 && r != 0x3A2) {
    return r + 0x20;
  }
  if (r == 0x386) {
    return 0x3AC;
  }
  if (r >= 0x388 && r <= 0x38A) {
    return r + 0x25;
  }
  if (r == 0x38C) {
    return 0x3CC;
  }
  if (r == 0x38E || r == 0x38F) {
    return r + 0x3F;
  }
  if (r >= 0x410 && r <= 0x42F) {
    return r + 0x20;
  }
  if (r >= 0x400 && r <= 0x40F) {
    return r + 0x50;
  }
  if ((r >= 0x460 && r <= 0x481) || (r >= 0x48A && r <= 0x4BF)) {
    return (r % 2 == 0) ? r + 1 : r;
  }
  return r;
}

// strings.Map with a rune mapping; invalid bytes become U+FFFD.
template <typename F>
std::string MapRunes(std::string_view s, F mapping) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    DecodedRune d = Decode(s, i);
    if (d.r < 0x80 && d.valid) {
      out.push_back(static_cast<char>(mapping(d.r)));
    } else {
      AppendRune(out, mapping(d.valid ? d.r : kRuneError));
    }
    i += d.width;
  }
  return out;
}

std::string ToUpper(std::string_view s) { return MapRunes(s, ToUpperRune); }
std::string ToLower(std::string_view s) { return MapRunes(s, ToLowerRune); }

// strings.Title: upper-cases the first letter of each word.
std::string Title(std::string_view s) {
  int32_t prev = ' ';
  auto is_separator = [](int32_t r) {
    if (r < 0x80) {
      return !((r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
               r == '_');
    }
    return IsSpaceRune(r);
  };
  return MapRunes(s, [&](int32_t r) {
    int32_t out = is_separator(prev) ? ToUpperRune(r) : r;
    prev = r;
    return out;
  });
}

std::string_view TrimSpace(std::string_view s) {
  size_t begin = 0;
  while (begin < s.size()) {
    DecodedRune d = Decode(s, begin);
    if (!d.valid || !IsSpaceRune(d.r)) {
      break;
    }
    begin += d.width;
  }
  size_t end = s.size();
  while (end > begin) {
    size_t start = end - 1;
    while (start > begin && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80 &&
           end - start < 4) {
      --start;
    }
    DecodedRune d = Decode(s, start);
    if (start + d.width != end || !d.valid || !IsSpaceRune(d.r)) {
      break;
    }
    end = start;
  }
  return s.substr(begin, end - begin);
}

bool InCutset(int32_t r, std::string_view cutset) {
  for (size_t i = 0; i < cutset.size();) {
    DecodedRune d = Decode(cutset, i);
    if ((d.valid ? d.r : kRuneError) == r) {
      return true;
    }
    i += d.width;
  }
  return false;
}

// strings.Trim(s, cutset).
std::string_view TrimCutset(std::string_view s, std::string_view cutset) {
  if (s.empty() || cutset.empty()) {
    return s;
  }
  size_t begin = 0;
  while (begin < s.size()) {
    DecodedRune d = Decode(s, begin);
    if (!InCutset(d.valid ? d.r : kRuneError, cutset)) {
      break;
    }
    begin += d.width;
  }
  size_t end = s.size();
  while (end > begin) {
    size_t start = end - 1;
    while (start > begin && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80 &&
           end - start < 4) {
      --start;
    }
    DecodedRune d = Decode(s, start);
    int32_t r = (start + d.width == end && d.valid) ? d.r : kRuneError;
    if (start + d.width != end) {
      start = end - 1;
    }
    if (!InCutset(r, cutset)) {
      break;
    }
    end = start;
  }
  return s.substr(begin, end - begin);
}

// ---------------------------------------------------------------------------
// Floats (strconv.FormatFloat).

struct Digits {
  std::string d;  // significant digits, no leading zeros
  int dp = 0;     // decimal point position
};

// Parses std::to_chars scientific output "D[.DDD]e[+-]XX".
Digits ParseScientific(std::string_view s) {
  Digits out;
  size_t e = s.find('e');
  for (size_t i = 0; i < e; ++i) {
    if (s[i] != '.') {
      out.d.push_back(s[i]);
    }
  }
  int exp = 0;
  std::from_chars(s.data() + e + (s[e + 1] == '+' ? 2 : 1), s.data() + s.size(), exp);
  out.dp = exp + 1;
  return out;
}

Digits ShortestDigits(double a) {
  if (a == 0) {
    return {};
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), a, std::chars_format::scientific);
  return ParseScientific(std::string_view(buf, res.ptr - buf));
}

Digits RoundedDigits(double a, int significant) {
  if (a == 0) {
    return {};
  }
  char buf[512];
  auto res =
      std::to_chars(buf, buf + sizeof(buf), a, std::chars_format::scientific, significant - 1);
  Digits out = ParseScientific(std::string_view(buf, res.ptr - buf));
  while (!out.d.empty() && out.d.back() == '0') {
    out.d.pop_back();
  }
  return out;
}

std::string FmtE(std::string_view sign, const Digits& digs, int prec, char fmt) {
  std::string out(sign);
  int nd = static_cast<int>(digs.d.size());
  out.push_back(nd == 0 ? '0' : digs.d[0]);
  if (prec > 0) {
    out.push_back('.');
    int i = 1;
    int m = std::min(nd, prec + 1);
    if (i < m) {
      out.append(digs.d, i, m - i);
      i = m;
    }
    for (; i <= prec; ++i) {
      out.push_back('0');
    }
  }
  out.push_back(fmt);
  int exp = nd == 0 ? 0 : digs.dp - 1;
  if (exp < 0) {
    out.push_back('-');
    exp = -exp;
  } else {
    out.push_back('+');
  }
  if (exp < 10) {
    out.push_back('0');
  }
  out += std::to_string(exp);
  return out;
}

std::string FmtF(std::string_view sign, const Digits& digs, int prec) {
  std::string out(sign);
  int nd = static_cast<int>(digs.d.size());
  if (digs.dp > 0) {
    int m = std::min(nd, digs.dp);
    out.append(digs.d, 0, m);
    for (; m < digs.dp; ++m) {
      out.push_back('0');
    }
  } else {
    out.push_back('0');
  }
  if (prec > 0) {
    out.push_back('.');
    for (int i = 1; i <= prec; ++i) {
      char ch = '0';
      int j = digs.dp + i - 1;
      if (j >= 0 && j < nd) {
        ch = digs.d[j];
      }
      out.push_back(ch);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Quoting.

enum class QuoteMode { kPrintable, kAscii };  // strconv.Quote / QuoteToASCII

void AppendEscapedRune(std::string& out, int32_t r, char quote, QuoteMode mode) {
  if (r == quote || r == '\\') {
    out.push_back('\\');
    AppendRune(out, r);
    return;
  }
  if (mode == QuoteMode::kAscii) {
    if (r < 0x80 && IsPrintRune(r)) {
      out.push_back(static_cast<char>(r));
      return;
    }
  } else if (IsPrintRune(r)) {
    AppendRune(out, r);
    return;
  }
  switch (r) {
    case '\a':
      out += "\\a";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\v':
      out += "\\v";
      return;
    default:
      break;
  }
  if (r < ' ' || r == 0x7F) {
    out += "\\x";
    out.push_back(kLowerHex[(r >> 4) & 0xF]);
    out.push_back(kLowerHex[r & 0xF]);
    return;
  }
  if (r > kMaxRune || (r >= 0xD800 && r <= 0xDFFF)) {
    r = kRuneError;
  }
  if (r < 0x10000) {
    out += "\\u";
    for (int s = 12; s >= 0; s -= 4) {
      out.push_back(kLowerHex[(r >> s) & 0xF]);
    }
    return;
  }
  out += "\\U";
  for (int s = 28; s >= 0; s -= 4) {
    out.push_back(kLowerHex[(r >> s) & 0xF]);
  }
}

std::string QuoteWith(std::string_view s, char quote, QuoteMode mode) {
  std::string out(1, quote);
  for (size_t i = 0; i < s.size();) {
    DecodedRune d = Decode(s, i);
    if (!d.valid && d.width == 1) {
      auto c = static_cast<unsigned char>(s[i]);
      out += "\\x";
      out.push_back(kLowerHex[c >> 4]);
      out.push_back(kLowerHex[c & 0xF]);
    } else {
      AppendEscapedRune(out, d.r, quote, mode);
    }
    i += d.width;
  }
  out.push_back(quote);
  return out;
}

std::string QuoteRune(int32_t r, QuoteMode mode) {
  if (r > kMaxRune || r < 0 || (r >= 0xD800 && r <= 0xDFFF)) {
    r = kRuneError;
  }
  std::string out = "'";
  AppendEscapedRune(out, r, '\'', mode);
  out.push_back('\'');
  return out;
}

// strconv.CanBackquote.
bool CanBackquote(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    DecodedRune d = Decode(s, i);
    if (!d.valid && d.width == 1) {
      return false;
    }
    if (d.r == '`' || d.r == 0xFEFF) {
      return false;
    }
    if (d.r < 0x80 && d.r != '\t' && (d.r < ' ' || d.r == 0x7F)) {
      return false;
    }
    i += d.width;
  }
  return true;
}

// ---------------------------------------------------------------------------
// fmt.

constexpr int kMaxWidth = 1000000;  // fmt's tooLarge

class Printer {
 public:
  explicit Printer(size_t max_bytes) : max_bytes_(max_bytes) {}

  Result<std::string> Finish() {
    if (too_deep_) {
      return tl::unexpected(Fail("value nested too deeply to print"));
    }
    if (buf_.size() > max_bytes_) {
      return tl::unexpected(Fail("formatted result exceeds " + std::to_string(max_bytes_) +
                                 " bytes"));
    }
    return std::move(buf_);
  }

  void DoPrint(std::span<const Value> args) {
    bool prev_string = false;
    for (size_t n = 0; n < args.size() && !Exceeded(); ++n) {
      bool is_string = args[n].kind == Kind::kString;
      if (n > 0 && !is_string && !prev_string) {
        buf_.push_back(' ');
      }
      ClearFlags();
      PrintArg(args[n], 'v');
      prev_string = is_string;
    }
  }

  void DoPrintln(std::span<const Value> args) {
    for (size_t n = 0; n < args.size() && !Exceeded(); ++n) {
      if (n > 0) {
        buf_.push_back(' ');
      }
      ClearFlags();
      PrintArg(args[n], 'v');
    }
    buf_.push_back('\n');
  }

  void DoPrintf(std::string_view format, std::span<const Value> a) {
    size_t end = format.size();
    size_t arg_num = 0;
    bool after_index = false;
    reordered_ = false;
    size_t i = 0;
    while (i < end) {
      if (Exceeded()) {
        return;
      }
      good_arg_num_ = true;
      size_t lasti = i;
      while (i < end && format[i] != '%') {
        ++i;
      }
      if (i > lasti) {
        buf_.append(format.substr(lasti, i - lasti));
      }
      if (i >= end) {
        break;
      }
      ++i;  // skip %
      ClearFlags();
      bool simple_done = false;
      for (; i < end; ++i) {
        char c = format[i];
        if (c == '#') {
          f_.sharp = true;
        } else if (c == '0') {
          f_.zero = !f_.minus;
        } else if (c == '+') {
          f_.plus = true;
        } else if (c == '-') {
          f_.minus = true;
          f_.zero = false;
        } else if (c == ' ') {
          f_.space = true;
        } else {
          if (c >= 'a' && c <= 'z' && arg_num < a.size()) {
            if (c == 'v') {
              f_.sharp_v = f_.sharp;
              f_.sharp = false;
              f_.plus_v = f_.plus;
              f_.plus = false;
            }
            PrintArg(a[arg_num], static_cast<unsigned char>(c));
            ++arg_num;
            ++i;
            simple_done = true;
          }
          break;
        }
      }
      if (simple_done) {
        continue;
      }
      std::tie(arg_num, i, after_index) = ArgNumber(arg_num, format, i, a.size());
      if (i < end && format[i] == '*') {
        ++i;
        std::tie(f_.wid, f_.wid_present, arg_num) = IntFromArg(a, arg_num);
        if (!f_.wid_present) {
          buf_ += "%!(BADWIDTH)";
        }
        if (f_.wid < 0) {
          f_.wid = -f_.wid;
          f_.minus = true;
          f_.zero = false;
        }
        after_index = false;
      } else {
        std::tie(f_.wid, f_.wid_present, i) = ParseNum(format, i, end);
        if (after_index && f_.wid_present) {
          good_arg_num_ = false;
        }
      }
      if (i + 1 <= end && i < end && format[i] == '.') {
        ++i;
        if (after_index) {
          good_arg_num_ = false;
        }
        std::tie(arg_num, i, after_index) = ArgNumber(arg_num, format, i, a.size());
        if (i < end && format[i] == '*') {
          ++i;
          std::tie(f_.prec, f_.prec_present, arg_num) = IntFromArg(a, arg_num);
          if (f_.prec < 0) {
            f_.prec = 0;
            f_.prec_present = false;
          }
          if (!f_.prec_present) {
            buf_ += "%!(BADPREC)";
          }
          after_index = false;
        } else {
          std::tie(f_.prec, f_.prec_present, i) = ParseNum(format, i, end);
          if (!f_.prec_present) {
            f_.prec = 0;
            f_.prec_present = true;
          }
        }
      }
      if (!after_index) {
        std::tie(arg_num, i, after_index) = ArgNumber(arg_num, format, i, a.size());
      }
      if (i >= end) {
        buf_ += "%!(NOVERB)";
        break;
      }
      DecodedRune d = Decode(format, i);
      int32_t verb = d.valid ? d.r : kRuneError;
      i += d.width;
      if (verb == '%') {
        buf_.push_back('%');
      } else if (!good_arg_num_) {
        buf_ += "%!";
        AppendRune(buf_, verb);
        buf_ += "(BADINDEX)";
      } else if (arg_num >= a.size()) {
        buf_ += "%!";
        AppendRune(buf_, verb);
        buf_ += "(MISSING)";
      } else {
        if (verb == 'v') {
          f_.sharp_v = f_.sharp;
          f_.sharp = false;
          f_.plus_v = f_.plus;
          f_.plus = false;
        }
        PrintArg(a[arg_num], verb);
        ++arg_num;
      }
    }
    if (!reordered_ && arg_num < a.size()) {
      ClearFlags();
      buf_ += "%!(EXTRA ";
      for (size_t n = arg_num; n < a.size(); ++n) {
        if (n > arg_num) {
          buf_ += ", ";
        }
        if (a[n].IsNil()) {
          buf_ += "<nil>";
        } else {
          buf_ += TypeName(a[n]);
          buf_.push_back('=');
          PrintArg(a[n], 'v');
        }
      }
      buf_.push_back(')');
    }
  }

 private:
  struct Flags {
    bool plus = false;
    bool minus = false;
    bool sharp = false;
    bool space = false;
    bool zero = false;
    bool plus_v = false;
    bool sharp_v = false;
    bool wid_present = false;
    bool prec_present = false;
    int wid = 0;
    int prec = 0;
  };

  bool Exceeded() const { return buf_.size() > max_bytes_ || too_deep_; }
  void ClearFlags() { f_ = Flags{}; }

  static std::tuple<int, bool, size_t> ParseNum(std::string_view s, size_t start, size_t end) {
    if (start >= end) {
      return {0, false, end};
    }
    int num = 0;
    bool isnum = false;
    size_t i = start;
    for (; i < end && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (num > kMaxWidth) {
        return {0, false, end};
      }
      num = num * 10 + (s[i] - '0');
      isnum = true;
    }
    return {num, isnum, i};
  }

  std::tuple<size_t, size_t, bool> ArgNumber(size_t arg_num, std::string_view format, size_t i,
                                             size_t num_args) {
    if (format.size() <= i || format[i] != '[') {
      return {arg_num, i, false};
    }
    reordered_ = true;
    std::string_view rest = format.substr(i);
    size_t wid = 1;
    bool ok = false;
    int index = 0;
    if (rest.size() >= 3) {
      for (size_t j = 1; j < rest.size(); ++j) {
        if (rest[j] == ']') {
          auto [n, isnum, newi] = ParseNum(rest, 1, j);
          if (!isnum || newi != j) {
            wid = j + 1;
            ok = false;
          } else {
            index = n - 1;
            wid = j + 1;
            ok = true;
          }
          break;
        }
      }
    }
    if (ok && index >= 0 && static_cast<size_t>(index) < num_args) {
      return {static_cast<size_t>(index), i + wid, true};
    }
    good_arg_num_ = false;
    return {arg_num, i + wid, ok};
  }

  static std::tuple<int, bool, size_t> IntFromArg(std::span<const Value> a, size_t arg_num) {
    if (arg_num >= a.size()) {
      return {0, false, arg_num};
    }
    const Value& v = a[arg_num];
    if (v.kind != Kind::kInt || v.i > kMaxWidth || v.i < -kMaxWidth) {
      return {0, false, arg_num + 1};
    }
    return {static_cast<int>(v.i), true, arg_num + 1};
  }

  void WritePadding(int n) {
    if (n <= 0) {
      return;
    }
    buf_.append(static_cast<size_t>(n), f_.zero ? '0' : ' ');
  }

  void Pad(std::string_view s) {
    if (!f_.wid_present || f_.wid == 0) {
      buf_.append(s);
      return;
    }
    int width = f_.wid - static_cast<int>(RuneCount(s));
    if (!f_.minus) {
      WritePadding(width);
      buf_.append(s);
    } else {
      buf_.append(s);
      WritePadding(width);
    }
  }

  std::string_view Truncate(std::string_view s) const {
    if (f_.prec_present) {
      size_t n = 0;
      for (size_t i = 0; i < s.size(); i += Decode(s, i).width) {
        if (n == static_cast<size_t>(f_.prec)) {
          return s.substr(0, i);
        }
        ++n;
      }
    }
    return s;
  }

  void BadVerb(int32_t verb) {
    buf_ += "%!";
    AppendRune(buf_, verb);
    buf_.push_back('(');
    if (arg_ != nullptr && !arg_->IsNil()) {
      const Value* arg = arg_;
      buf_ += TypeName(*arg);
      buf_.push_back('=');
      PrintArg(*arg, 'v');
    } else {
      buf_ += "<nil>";
    }
    buf_.push_back(')');
  }

  void PrintArg(const Value& v, int32_t verb) {
    arg_ = &v;
    if (v.IsNil()) {
      if (verb == 'T' || verb == 'v') {
        Pad("<nil>");
      } else {
        BadVerb(verb);
      }
      return;
    }
    if (verb == 'T') {
      FmtS(TypeName(v));
      return;
    }
    PrintValue(v, verb, 0);
  }

  void PrintValue(const Value& v, int32_t verb, int depth) {
    if (depth > 0) {
      arg_ = &v;
    }
    if (depth > kMaxFormatDepth) {
      too_deep_ = true;
      return;
    }
    switch (v.kind) {
      case Kind::kInvalid:
      case Kind::kNil:
        buf_ += f_.sharp_v ? "interface {}(nil)" : "<nil>";
        return;
      case Kind::kBool:
        if (verb == 't' || verb == 'v') {
          Pad(v.b ? "true" : "false");
        } else {
          BadVerb(verb);
        }
        return;
      case Kind::kInt:
        FmtIntegerVerb(static_cast<uint64_t>(v.i), verb);
        return;
      case Kind::kFloat:
        FmtFloatVerb(v.f, verb);
        return;
      case Kind::kString:
        FmtStringVerb(v.s, verb);
        return;
      case Kind::kList: {
        buf_ += f_.sharp_v ? "[]interface {}{" : "[";
        size_t n = 0;
        for (const auto& elem : *v.json) {
          if (n++ > 0) {
            buf_ += f_.sharp_v ? ", " : " ";
          }
          Value e = Value::FromJson(elem, Boxing::kBoxed, nullptr);
          PrintValue(e, verb, depth + 1);
          if (Exceeded()) {
            return;
          }
        }
        buf_ += f_.sharp_v ? "}" : "]";
        return;
      }
      case Kind::kMap: {
        buf_ += f_.sharp_v ? "map[string]interface {}{" : "map[";
        size_t n = 0;
        for (const auto& [key, elem] : v.json->items()) {
          if (n++ > 0) {
            buf_ += f_.sharp_v ? ", " : " ";
          }
          Value k = Value::StringView(key);
          PrintValue(k, verb, depth + 1);
          buf_.push_back(':');
          Value e = Value::FromJson(elem, Boxing::kBoxed, nullptr);
          PrintValue(e, verb, depth + 1);
          if (Exceeded()) {
            return;
          }
        }
        buf_ += f_.sharp_v ? "}" : "]";
        return;
      }
    }
  }

  void FmtIntegerVerb(uint64_t v, int32_t verb) {
    switch (verb) {
      case 'v':
      case 'd':
        FmtInteger(v, 10, verb, kLowerHex);
        return;
      case 'b':
        FmtInteger(v, 2, verb, kLowerHex);
        return;
      case 'o':
      case 'O':
        FmtInteger(v, 8, verb, kLowerHex);
        return;
      case 'x':
        FmtInteger(v, 16, verb, kLowerHex);
        return;
      case 'X':
        FmtInteger(v, 16, verb, kUpperHex);
        return;
      case 'c': {
        std::string s;
        AppendRune(s, v > static_cast<uint64_t>(kMaxRune) ? kRuneError : static_cast<int32_t>(v));
        Pad(s);
        return;
      }
      case 'q':
        Pad(QuoteRune(v > static_cast<uint64_t>(kMaxRune) ? kRuneError : static_cast<int32_t>(v),
                      f_.plus ? QuoteMode::kAscii : QuoteMode::kPrintable));
        return;
      case 'U': {
        std::string hex;
        for (uint64_t x = v; x > 0; x >>= 4) {
          hex.insert(hex.begin(), kUpperHex[x & 0xF]);
        }
        size_t min_digits = f_.prec_present ? static_cast<size_t>(f_.prec) : 4;
        while (hex.size() < min_digits) {
          hex.insert(hex.begin(), '0');
        }
        std::string s = "U+" + hex;
        if (f_.sharp && v <= static_cast<uint64_t>(kMaxRune) &&
            IsPrintRune(static_cast<int32_t>(v))) {
          s += " '";
          AppendRune(s, static_cast<int32_t>(v));
          s += "'";
        }
        bool old_zero = f_.zero;
        f_.zero = false;
        Pad(s);
        f_.zero = old_zero;
        return;
      }
      default:
        BadVerb(verb);
    }
  }

  // fmt.fmtInteger for a signed value.
  void FmtInteger(uint64_t u, int base, int32_t verb, std::string_view digits) {
    bool negative = static_cast<int64_t>(u) < 0;
    if (negative) {
      u = ~u + 1;
    }
    int prec = 0;
    if (f_.prec_present) {
      prec = f_.prec;
      if (prec == 0 && u == 0) {
        bool old_zero = f_.zero;
        f_.zero = false;
        WritePadding(f_.wid);
        f_.zero = old_zero;
        return;
      }
    } else if (f_.zero && !f_.minus && f_.wid_present) {
      prec = f_.wid;
      if (negative || f_.plus || f_.space) {
        --prec;
      }
    }
    std::string rev;  // digits, least significant first
    do {
      rev.push_back(digits[u % static_cast<uint64_t>(base)]);
      u /= static_cast<uint64_t>(base);
    } while (u > 0);
    while (static_cast<int>(rev.size()) < prec) {
      rev.push_back('0');
    }
    if (f_.sharp) {
      if (base == 2) {
        rev += "b0";
      } else if (base == 8) {
        if (rev.back() != '0') {
          rev.push_back('0');
        }
      } else if (base == 16) {
        rev.push_back(digits[0] == '0' && digits == kUpperHex ? 'X' : 'x');
        rev.push_back('0');
      }
    }
    if (verb == 'O') {
      rev += "o0";
    }
    if (negative) {
      rev.push_back('-');
    } else if (f_.plus) {
      rev.push_back('+');
    } else if (f_.space) {
      rev.push_back(' ');
    }
    std::string s(rev.rbegin(), rev.rend());
    bool old_zero = f_.zero;
    f_.zero = false;
    Pad(s);
    f_.zero = old_zero;
  }

  void FmtFloatVerb(double v, int32_t verb) {
    switch (verb) {
      case 'v':
        FmtFloat(v, 'g', -1);
        return;
      case 'g':
      case 'G':
        FmtFloat(v, static_cast<char>(verb), -1);
        return;
      case 'f':
      case 'F':
      case 'e':
      case 'E':
        FmtFloat(v, static_cast<char>(verb), 6);
        return;
      default:
        BadVerb(verb);
    }
  }

  void FmtFloat(double v, char verb, int prec) {
    if (f_.prec_present) {
      prec = f_.prec;
    }
    std::string num = FormatFloat(v, verb == 'F' ? 'f' : verb, prec);
    if (num[0] != '-' && num[0] != '+') {
      num.insert(num.begin(), '+');
    }
    if (f_.space && num[0] == '+' && !f_.plus) {
      num[0] = ' ';
    }
    if (num[1] == 'I' || num[1] == 'N') {
      bool old_zero = f_.zero;
      f_.zero = false;
      if (num[1] == 'N' && !f_.space && !f_.plus) {
        num.erase(0, 1);
      }
      Pad(num);
      f_.zero = old_zero;
      return;
    }
    if (f_.plus || num[0] != '+') {
      if (f_.zero && !f_.minus && f_.wid_present && f_.wid > static_cast<int>(num.size())) {
        buf_.push_back(num[0]);
        WritePadding(f_.wid - static_cast<int>(num.size()));
        buf_.append(num, 1);
        return;
      }
      Pad(num);
      return;
    }
    Pad(std::string_view(num).substr(1));
  }

  void FmtStringVerb(std::string_view s, int32_t verb) {
    switch (verb) {
      case 'v':
        if (f_.sharp_v) {
          FmtQ(s);
        } else {
          FmtS(s);
        }
        return;
      case 's':
        FmtS(s);
        return;
      case 'x':
        FmtSx(s, kLowerHex);
        return;
      case 'X':
        FmtSx(s, kUpperHex);
        return;
      case 'q':
        FmtQ(s);
        return;
      default:
        BadVerb(verb);
    }
  }

  void FmtS(std::string_view s) { Pad(Truncate(s)); }

  void FmtQ(std::string_view s) {
    s = Truncate(s);
    if (f_.sharp && CanBackquote(s)) {
      Pad("`" + std::string(s) + "`");
      return;
    }
    Pad(QuoteWith(s, '"', f_.plus ? QuoteMode::kAscii : QuoteMode::kPrintable));
  }

  void FmtSx(std::string_view s, std::string_view digits) {
    int length = static_cast<int>(s.size());
    if (f_.prec_present && f_.prec < length) {
      length = f_.prec;
    }
    int width = 2 * length;
    if (width > 0) {
      if (f_.space) {
        if (f_.sharp) {
          width *= 2;
        }
        width += length - 1;
      } else if (f_.sharp) {
        width += 2;
      }
    } else {
      if (f_.wid_present) {
        WritePadding(f_.wid);
      }
      return;
    }
    if (f_.wid_present && f_.wid > width && !f_.minus) {
      WritePadding(f_.wid - width);
    }
    char x = digits == kUpperHex ? 'X' : 'x';
    if (f_.sharp) {
      buf_.push_back('0');
      buf_.push_back(x);
    }
    for (int i = 0; i < length; ++i) {
      if (f_.space && i > 0) {
        buf_.push_back(' ');
        if (f_.sharp) {
          buf_.push_back('0');
          buf_.push_back(x);
        }
      }
      auto c = static_cast<unsigned char>(s[i]);
      buf_.push_back(digits[c >> 4]);
      buf_.push_back(digits[c & 0xF]);
    }
    if (f_.wid_present && f_.wid > width && f_.minus) {
      WritePadding(f_.wid - width);
    }
  }

  size_t max_bytes_;
  std::string buf_;
  Flags f_;
  const Value* arg_ = nullptr;
  bool reordered_ = false;
  bool good_arg_num_ = true;
  bool too_deep_ = false;
};

// ---------------------------------------------------------------------------
// JSON as Go's encoding/json writes it (HTML-safe, sorted keys).

bool EncodeJson(const nlohmann::json& j, std::string& out, int depth) {
  if (depth > kMaxFormatDepth) {
    return false;
  }
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      out += "null";
      return true;
    case nlohmann::json::value_t::boolean:
      out += j.get<bool>() ? "true" : "false";
      return true;
    case nlohmann::json::value_t::number_integer:
      out += std::to_string(j.get<int64_t>());
      return true;
    case nlohmann::json::value_t::number_unsigned:
      out += std::to_string(j.get<uint64_t>());
      return true;
    case nlohmann::json::value_t::number_float: {
      double f = j.get<double>();
      if (!std::isfinite(f)) {
        return false;
      }
      double a = std::fabs(f);
      bool exp = a != 0 && (a < 1e-6 || a >= 1e21);
      std::string s = FormatFloat(f, exp ? 'e' : 'f', -1);
      if (exp) {
        size_t n = s.size();
        if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') {
          s.erase(n - 2, 1);
        }
      }
      out += s;
      return true;
    }
    case nlohmann::json::value_t::string: {
      const auto& s = j.get_ref<const std::string&>();
      out.push_back('"');
      for (size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
          switch (c) {
            case '\\':
              out += "\\\\";
              break;
            case '"':
              out += "\\\"";
              break;
            case '\b':
              out += "\\b";
              break;
            case '\f':
              out += "\\f";
              break;
            case '\n':
              out += "\\n";
              break;
            case '\r':
              out += "\\r";
              break;
            case '\t':
              out += "\\t";
              break;
            default:
              if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                out += "\\u00";
                out.push_back(kLowerHex[c >> 4]);
                out.push_back(kLowerHex[c & 0xF]);
              } else {
                out.push_back(static_cast<char>(c));
              }
          }
          ++i;
          continue;
        }
        DecodedRune d = Decode(s, i);
        if (!d.valid) {
          out += "\\ufffd";
        } else if (d.r == 0x2028 || d.r == 0x2029) {
          out += d.r == 0x2028 ? "\\u2028" : "\\u2029";
        } else {
          out.append(s, i, d.width);
        }
        i += d.width;
      }
      out.push_back('"');
      return true;
    }
    case nlohmann::json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : j) {
        if (!first) {
          out.push_back(',');
        }
        first = false;
        if (!EncodeJson(e, out, depth + 1)) {
          return false;
        }
      }
      out.push_back(']');
      return true;
    }
    case nlohmann::json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, e] : j.items()) {
        if (!first) {
          out.push_back(',');
        }
        first = false;
        if (!EncodeJson(nlohmann::json(key), out, depth + 1)) {
          return false;
        }
        out.push_back(':');
        if (!EncodeJson(e, out, depth + 1)) {
          return false;
        }
      }
      out.push_back('}');
      return true;
    }
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------
// Builtins (text/template funcs.go).

Value IndirectInterface(const Value& v) { return v.Unboxed(); }

Result<int64_t> IndexArg(const Value& index, size_t cap) {
  if (index.kind == Kind::kInvalid) {
    return tl::unexpected(Fail("cannot index slice/array with nil"));
  }
  if (index.kind != Kind::kInt) {
    return tl::unexpected(Fail("cannot index slice/array with type " + TypeName(index)));
  }
  if (index.i < 0 || static_cast<uint64_t>(index.i) > cap) {
    return tl::unexpected(Fail("index out of range: " + std::to_string(index.i)));
  }
  return index.i;
}

Result<Value> FnIndex(std::vector<Value>& args, const CallLimits&) {
  Value item = IndirectInterface(args[0]);
  if (!item.IsValid()) {
    return tl::unexpected(Fail("index of untyped nil"));
  }
  for (size_t n = 1; n < args.size(); ++n) {
    Value index = IndirectInterface(args[n]);
    if (item.kind == Kind::kNil) {
      return tl::unexpected(Fail("index of nil pointer"));
    }
    item = item.Unboxed();
    switch (item.kind) {
      case Kind::kList:
      case Kind::kString: {
        size_t len = item.kind == Kind::kList ? item.json->size() : item.s.size();
        MNEME_TRY(int64_t x, IndexArg(index, len));
        if (static_cast<size_t>(x) == len) {
          return tl::unexpected(Fail(item.kind == Kind::kList
                                         ? "reflect: slice index out of range"
                                         : "reflect: string index out of range"));
        }
        if (item.kind == Kind::kList) {
          item = Value::FromJson((*item.json)[static_cast<size_t>(x)], Boxing::kBoxed, item.owner);
        } else {
          item = Value::Int(static_cast<unsigned char>(item.s[static_cast<size_t>(x)]));
        }
        break;
      }
      case Kind::kMap: {
        if (!index.IsValid()) {
          return tl::unexpected(Fail("value is nil; should be of type string"));
        }
        if (index.kind != Kind::kString) {
          return tl::unexpected(
              Fail("value has type " + TypeName(index) + "; should be string"));
        }
        auto it = item.json->find(std::string(index.s));
        if (it == item.json->end()) {
          Value nil;
          nil.kind = Kind::kNil;
          nil.boxed = true;
          item = nil;
        } else {
          item = Value::FromJson(*it, Boxing::kBoxed, item.owner);
        }
        break;
      }
      default:
        return tl::unexpected(Fail("can't index item of type " + TypeName(item)));
    }
  }
  return item;
}

Result<Value> FnSlice(std::vector<Value>& args, const CallLimits&) {
  Value item = IndirectInterface(args[0]);
  if (!item.IsValid()) {
    return tl::unexpected(Fail("slice of untyped nil"));
  }
  size_t nidx = args.size() - 1;
  if (nidx > 3) {
    return tl::unexpected(Fail("too many slice indexes: " + std::to_string(nidx)));
  }
  size_t cap = 0;
  if (item.kind == Kind::kString) {
    if (nidx == 3) {
      return tl::unexpected(Fail("cannot 3-index slice a string"));
    }
    cap = item.s.size();
  } else if (item.kind == Kind::kList) {
    cap = item.json->size();
  } else {
    return tl::unexpected(Fail("can't slice item of type " + TypeName(item)));
  }
  std::array<int64_t, 3> idx = {0, static_cast<int64_t>(cap), 0};
  for (size_t n = 0; n < nidx; ++n) {
    MNEME_TRY(idx[n], IndexArg(IndirectInterface(args[n + 1]), cap));
  }
  if (idx[0] > idx[1]) {
    return tl::unexpected(Fail("invalid slice index: " + std::to_string(idx[0]) + " > " +
                               std::to_string(idx[1])));
  }
  if (nidx == 3 && idx[1] > idx[2]) {
    return tl::unexpected(Fail("invalid slice index: " + std::to_string(idx[1]) + " > " +
                               std::to_string(idx[2])));
  }
  if (item.kind == Kind::kString) {
    return Value::String(std::string(
        item.s.substr(static_cast<size_t>(idx[0]), static_cast<size_t>(idx[1] - idx[0]))));
  }
  nlohmann::json out = nlohmann::json::array();
  for (int64_t n = idx[0]; n < idx[1]; ++n) {
    out.push_back((*item.json)[static_cast<size_t>(n)]);
  }
  return Value::Owned(std::move(out));
}

Result<Value> FnLen(std::vector<Value>& args, const CallLimits&) {
  const Value& item = args[0];
  if (item.kind == Kind::kNil) {
    return tl::unexpected(Fail("len of nil pointer"));
  }
  switch (item.kind) {
    case Kind::kInvalid:
      return tl::unexpected(Fail("reflect: call of reflect.Value.Type on zero Value"));
    case Kind::kString:
      return Value::Int(static_cast<int64_t>(item.s.size()));
    case Kind::kList:
    case Kind::kMap:
      return Value::Int(static_cast<int64_t>(item.json->size()));
    default:
      return tl::unexpected(Fail("len of type " + TypeName(item)));
  }
}

Result<Value> FnNot(std::vector<Value>& args, const CallLimits&) {
  return Value::Bool(!Truth(args[0]));
}

// text/template's evalArgs: the textual representation of the arguments.
Result<std::string> EvalArgs(const std::vector<Value>& args, const CallLimits& limits) {
  if (args.size() == 1 && args[0].kind == Kind::kString) {
    return std::string(args[0].s);
  }
  std::vector<Value> printable;
  printable.reserve(args.size());
  for (const Value& v : args) {
    printable.push_back(v.IsNil() ? Value::String("<no value>") : v);
  }
  Printer p(limits.max_string_bytes);
  p.DoPrint(printable);
  return p.Finish();
}

Result<Value> FnHtml(std::vector<Value>& args, const CallLimits& limits) {
  MNEME_TRY(std::string s, EvalArgs(args, limits));
  return Value::String(HtmlEscape(s));
}

Result<Value> FnJs(std::vector<Value>& args, const CallLimits& limits) {
  MNEME_TRY(std::string s, EvalArgs(args, limits));
  return Value::String(JsEscape(s));
}

Result<Value> FnUrlQuery(std::vector<Value>& args, const CallLimits& limits) {
  MNEME_TRY(std::string s, EvalArgs(args, limits));
  return Value::String(UrlQueryEscape(s));
}

Result<Value> FnPrint(std::vector<Value>& args, const CallLimits& limits) {
  Printer p(limits.max_string_bytes);
  p.DoPrint(args);
  MNEME_TRY(std::string s, p.Finish());
  return Value::String(std::move(s));
}

Result<Value> FnPrintln(std::vector<Value>& args, const CallLimits& limits) {
  Printer p(limits.max_string_bytes);
  p.DoPrintln(args);
  MNEME_TRY(std::string s, p.Finish());
  return Value::String(std::move(s));
}

Result<Value> FnPrintf(std::vector<Value>& args, const CallLimits& limits) {
  Printer p(limits.max_string_bytes);
  p.DoPrintf(args[0].s, std::span<const Value>(args).subspan(1));
  MNEME_TRY(std::string s, p.Finish());
  return Value::String(std::move(s));
}

enum class BasicKind { kInvalid, kBool, kInt, kFloat, kString };

BasicKind BasicKindOf(const Value& v) {
  switch (v.kind) {
    case Kind::kBool:
      return BasicKind::kBool;
    case Kind::kInt:
      return BasicKind::kInt;
    case Kind::kFloat:
      return BasicKind::kFloat;
    case Kind::kString:
      return BasicKind::kString;
    default:
      return BasicKind::kInvalid;
  }
}

std::string FormatOrEmpty(const Value& v) {
  auto s = FormatV(v);
  return s ? *s : std::string();
}

Result<bool> Eq(const Value& arg1_in, std::span<const Value> rest) {
  Value arg1 = IndirectInterface(arg1_in);
  if (rest.empty()) {
    return tl::unexpected(Fail("missing argument for comparison"));
  }
  BasicKind k1 = BasicKindOf(arg1);
  for (const Value& arg_in : rest) {
    Value arg = IndirectInterface(arg_in);
    BasicKind k2 = BasicKindOf(arg);
    bool truth = false;
    if (k1 != k2) {
      if (arg1.IsValid() && arg.IsValid()) {
        return tl::unexpected(Fail("incompatible types for comparison: " + TypeName(arg1) +
                                   " and " + TypeName(arg)));
      }
    } else {
      switch (k1) {
        case BasicKind::kBool:
          truth = arg1.b == arg.b;
          break;
        case BasicKind::kInt:
          truth = arg1.i == arg.i;
          break;
        case BasicKind::kFloat:
          truth = arg1.f == arg.f;
          break;
        case BasicKind::kString:
          truth = arg1.s == arg.s;
          break;
        case BasicKind::kInvalid:
          if (arg1.kind != arg.kind && arg1.IsValid() && arg.IsValid()) {
            return tl::unexpected(Fail("non-comparable types " + FormatOrEmpty(arg1) + ": " +
                                       TypeName(arg1) + ", " + TypeName(arg) + ": " +
                                       FormatOrEmpty(arg)));
          }
          if (!arg1.IsValid() || !arg.IsValid()) {
            truth = arg1.IsValid() == arg.IsValid();
          } else {
            return tl::unexpected(
                Fail("non-comparable type " + FormatOrEmpty(arg) + ": " + TypeName(arg)));
          }
          break;
      }
    }
    if (truth) {
      return true;
    }
  }
  return false;
}

Result<bool> Lt(const Value& a1_in, const Value& a2_in) {
  Value a1 = IndirectInterface(a1_in);
  Value a2 = IndirectInterface(a2_in);
  BasicKind k1 = BasicKindOf(a1);
  BasicKind k2 = BasicKindOf(a2);
  if (k1 == BasicKind::kInvalid || k2 == BasicKind::kInvalid) {
    return tl::unexpected(Fail("invalid type for comparison"));
  }
  if (k1 != k2) {
    return tl::unexpected(Fail("incompatible types for comparison: " + TypeName(a1) + " and " +
                               TypeName(a2)));
  }
  switch (k1) {
    case BasicKind::kInt:
      return a1.i < a2.i;
    case BasicKind::kFloat:
      return a1.f < a2.f;
    case BasicKind::kString:
      return a1.s < a2.s;
    default:
      return tl::unexpected(Fail("invalid type for comparison"));
  }
}

Result<bool> Le(const Value& a1, const Value& a2) {
  MNEME_TRY(bool less, Lt(a1, a2));
  if (less) {
    return true;
  }
  return Eq(a1, std::span<const Value>(&a2, 1));
}

Result<Value> FnEq(std::vector<Value>& args, const CallLimits&) {
  MNEME_TRY(bool r, Eq(args[0], std::span<const Value>(args).subspan(1)));
  return Value::Bool(r);
}
Result<Value> FnNe(std::vector<Value>& args, const CallLimits&) {
  MNEME_TRY(bool r, Eq(args[0], std::span<const Value>(args).subspan(1)));
  return Value::Bool(!r);
}
Result<Value> FnLt(std::vector<Value>& args, const CallLimits&) {
  MNEME_TRY(bool r, Lt(args[0], args[1]));
  return Value::Bool(r);
}
Result<Value> FnLe(std::vector<Value>& args, const CallLimits&) {
  MNEME_TRY(bool r, Le(args[0], args[1]));
  return Value::Bool(r);
}
Result<Value> FnGt(std::vector<Value>& args, const CallLimits&) {
  MNEME_TRY(bool r, Le(args[0], args[1]));
  return Value::Bool(!r);
}
Result<Value> FnGe(std::vector<Value>& args, const CallLimits&) {
  MNEME_TRY(bool r, Lt(args[0], args[1]));
  return Value::Bool(!r);
}

// ---------------------------------------------------------------------------
// Sprig (github.com/Masterminds/sprig/v3), the hermetic string, default and
// arithmetic functions Kratos templates use.

Result<Value> CheckedString(std::string s, const CallLimits& limits) {
  if (s.size() > limits.max_string_bytes) {
    return tl::unexpected(
        Fail("result exceeds " + std::to_string(limits.max_string_bytes) + " bytes"));
  }
  return Value::String(std::move(s));
}

// sprig's strval: strings as they are, anything else as fmt's %v.
std::string StrVal(const Value& v) {
  if (v.kind == Kind::kString) {
    return std::string(v.s);
  }
  return FormatOrEmpty(v);
}

// sprig's empty.
bool Empty(const Value& v) { return !Truth(v); }

// cast.ToInt64 with sprig's ignored errors (0).
int64_t ToInt64(const Value& v) {
  switch (v.kind) {
    case Kind::kInt:
      return v.i;
    case Kind::kFloat:
      if (std::isfinite(v.f) && std::fabs(v.f) < 9.2e18) {
        return static_cast<int64_t>(v.f);
      }
      return 0;
    case Kind::kBool:
      return v.b ? 1 : 0;
    case Kind::kString:
      return ParseGoInt(v.s).value_or(0);
    default:
      return 0;
  }
}

Result<Value> FnUpper(std::vector<Value>& a, const CallLimits&) {
  return Value::String(ToUpper(a[0].s));
}
Result<Value> FnLower(std::vector<Value>& a, const CallLimits&) {
  return Value::String(ToLower(a[0].s));
}
Result<Value> FnTitle(std::vector<Value>& a, const CallLimits&) {
  return Value::String(Title(a[0].s));
}
Result<Value> FnTrim(std::vector<Value>& a, const CallLimits&) {
  return Value::String(std::string(TrimSpace(a[0].s)));
}
Result<Value> FnTrimAll(std::vector<Value>& a, const CallLimits&) {
  return Value::String(std::string(TrimCutset(a[1].s, a[0].s)));
}
Result<Value> FnTrimPrefix(std::vector<Value>& a, const CallLimits&) {
  std::string_view s = a[1].s;
  if (s.substr(0, a[0].s.size()) == a[0].s) {
    s.remove_prefix(a[0].s.size());
  }
  return Value::String(std::string(s));
}
Result<Value> FnTrimSuffix(std::vector<Value>& a, const CallLimits&) {
  std::string_view s = a[1].s;
  if (s.size() >= a[0].s.size() && s.substr(s.size() - a[0].s.size()) == a[0].s) {
    s.remove_suffix(a[0].s.size());
  }
  return Value::String(std::string(s));
}
Result<Value> FnNospace(std::vector<Value>& a, const CallLimits&) {
  std::string out;
  std::string_view s = a[0].s;
  for (size_t i = 0; i < s.size();) {
    DecodedRune d = Decode(s, i);
    if (!(d.valid && IsSpaceRune(d.r))) {
      out.append(s.substr(i, d.width));
    }
    i += d.width;
  }
  return Value::String(std::move(out));
}
Result<Value> FnContains(std::vector<Value>& a, const CallLimits&) {
  return Value::Bool(a[1].s.find(a[0].s) != std::string_view::npos);
}
Result<Value> FnHasPrefix(std::vector<Value>& a, const CallLimits&) {
  return Value::Bool(a[1].s.substr(0, a[0].s.size()) == a[0].s);
}
Result<Value> FnHasSuffix(std::vector<Value>& a, const CallLimits&) {
  std::string_view s = a[1].s;
  return Value::Bool(s.size() >= a[0].s.size() && s.substr(s.size() - a[0].s.size()) == a[0].s);
}

// strings.Replace(src, old, new, -1).
Result<Value> FnReplace(std::vector<Value>& a, const CallLimits& limits) {
  std::string_view old_s = a[0].s;
  std::string_view new_s = a[1].s;
  std::string_view src = a[2].s;
  std::string out;
  auto append = [&](std::string_view piece) {
    out.append(piece);
    return out.size() <= limits.max_string_bytes;
  };
  bool ok = true;
  if (old_s.empty()) {
    ok = append(new_s);
    for (size_t i = 0; ok && i < src.size();) {
      size_t w = Decode(src, i).width;
      ok = append(src.substr(i, w)) && append(new_s);
      i += w;
    }
  } else {
    size_t start = 0;
    for (size_t pos; ok && (pos = src.find(old_s, start)) != std::string_view::npos;) {
      ok = append(src.substr(start, pos - start)) && append(new_s);
      start = pos + old_s.size();
    }
    ok = ok && append(src.substr(start));
  }
  if (!ok) {
    return tl::unexpected(
        Fail("result exceeds " + std::to_string(limits.max_string_bytes) + " bytes"));
  }
  return Value::String(std::move(out));
}

Result<Value> FnRepeat(std::vector<Value>& a, const CallLimits& limits) {
  int64_t count = a[0].i;
  if (count < 0) {
    return tl::unexpected(Fail("strings: negative Repeat count"));
  }
  size_t len = a[1].s.size();
  if (len > 0 && static_cast<uint64_t>(count) > limits.max_string_bytes / len) {
    return tl::unexpected(
        Fail("result exceeds " + std::to_string(limits.max_string_bytes) + " bytes"));
  }
  std::string out;
  out.reserve(static_cast<size_t>(count) * len);
  for (int64_t n = 0; n < count; ++n) {
    out.append(a[1].s);
  }
  return Value::String(std::move(out));
}

std::string SliceBoundsError(std::string_view bounds) {
  return "runtime error: slice bounds out of range " + std::string(bounds);
}

Result<Value> FnSubstr(std::vector<Value>& a, const CallLimits&) {
  int64_t start = a[0].i;
  int64_t end = a[1].i;
  std::string_view s = a[2].s;
  auto len = static_cast<int64_t>(s.size());
  if (start < 0) {
    if (end < 0 || end > len) {
      return tl::unexpected(Fail(SliceBoundsError("[:" + std::to_string(end) +
                                                  "] with length " + std::to_string(len))));
    }
    return Value::String(std::string(s.substr(0, static_cast<size_t>(end))));
  }
  if (end < 0 || end > len) {
    if (start > len) {
      return tl::unexpected(Fail(SliceBoundsError(
          "[" + std::to_string(start) + ":" + std::to_string(len) + "]")));
    }
    return Value::String(std::string(s.substr(static_cast<size_t>(start))));
  }
  if (start > end) {
    return tl::unexpected(Fail(
        SliceBoundsError("[" + std::to_string(start) + ":" + std::to_string(end) + "]")));
  }
  return Value::String(
      std::string(s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start))));
}

Result<Value> FnTrunc(std::vector<Value>& a, const CallLimits&) {
  int64_t c = a[0].i;
  std::string_view s = a[1].s;
  auto len = static_cast<int64_t>(s.size());
  if (c < 0 && len + c > 0) {
    return Value::String(std::string(s.substr(static_cast<size_t>(len + c))));
  }
  if (c >= 0 && len > c) {
    return Value::String(std::string(s.substr(0, static_cast<size_t>(c))));
  }
  return Value::String(std::string(s));
}

Result<Value> FnAbbrev(std::vector<Value>& a, const CallLimits&) {
  int64_t width = a[0].i;
  std::string_view s = a[1].s;
  if (width < 4 || static_cast<int64_t>(s.size()) <= width) {
    return Value::String(std::string(s));
  }
  return Value::String(std::string(s.substr(0, static_cast<size_t>(width - 3))) + "...");
}

Result<Value> FnQuote(std::vector<Value>& a, const CallLimits& limits) {
  std::string out;
  bool first = true;
  for (const Value& v : a) {
    if (v.IsNil()) {
      continue;
    }
    if (!first) {
      out.push_back(' ');
    }
    first = false;
    out += GoQuote(StrVal(v));
  }
  return CheckedString(std::move(out), limits);
}

Result<Value> FnSquote(std::vector<Value>& a, const CallLimits& limits) {
  std::string out;
  bool first = true;
  for (const Value& v : a) {
    if (v.IsNil()) {
      continue;
    }
    if (!first) {
      out.push_back(' ');
    }
    first = false;
    out += "'" + FormatOrEmpty(v) + "'";
  }
  return CheckedString(std::move(out), limits);
}

Result<Value> FnCat(std::vector<Value>& a, const CallLimits& limits) {
  std::string out;
  bool first = true;
  for (const Value& v : a) {
    if (v.IsNil()) {
      continue;
    }
    if (!first) {
      out.push_back(' ');
    }
    first = false;
    MNEME_TRY(std::string s, FormatV(v));
    out += s;
  }
  return CheckedString(std::move(out), limits);
}

Result<std::string> Indent(int64_t spaces, std::string_view v, const CallLimits& limits) {
  if (spaces < 0) {
    return tl::unexpected(Fail("strings: negative Repeat count"));
  }
  size_t lines = 1 + static_cast<size_t>(std::count(v.begin(), v.end(), '\n'));
  if (static_cast<uint64_t>(spaces) > limits.max_string_bytes / lines) {
    return tl::unexpected(
        Fail("result exceeds " + std::to_string(limits.max_string_bytes) + " bytes"));
  }
  std::string pad(static_cast<size_t>(spaces), ' ');
  std::string out = pad;
  for (char c : v) {
    out.push_back(c);
    if (c == '\n') {
      out += pad;
    }
  }
  return out;
}

Result<Value> FnIndent(std::vector<Value>& a, const CallLimits& limits) {
  MNEME_TRY(std::string s, Indent(a[0].i, a[1].s, limits));
  return CheckedString(std::move(s), limits);
}

Result<Value> FnNindent(std::vector<Value>& a, const CallLimits& limits) {
  MNEME_TRY(std::string s, Indent(a[0].i, a[1].s, limits));
  return CheckedString("\n" + s, limits);
}

Result<Value> FnDefault(std::vector<Value>& a, const CallLimits&) {
  if (a.size() < 2 || Empty(a[1])) {
    return a[0];
  }
  return a[1];
}

Result<Value> FnEmpty(std::vector<Value>& a, const CallLimits&) {
  return Value::Bool(Empty(a[0]));
}

Result<Value> FnCoalesce(std::vector<Value>& a, const CallLimits&) {
  for (const Value& v : a) {
    if (!Empty(v)) {
      return v;
    }
  }
  return Value::Invalid();
}

Result<Value> FnTernary(std::vector<Value>& a, const CallLimits&) {
  return a[2].b ? a[0] : a[1];
}

Result<Value> FnJoin(std::vector<Value>& a, const CallLimits& limits) {
  std::vector<std::string> parts;
  const Value v = a[1].Unboxed();
  if (v.kind == Kind::kList) {
    for (const auto& elem : *v.json) {
      if (!elem.is_null()) {
        parts.push_back(StrVal(Value::FromJson(elem, Boxing::kUnboxed, nullptr)));
      }
    }
  } else if (!v.IsNil()) {
    parts.push_back(StrVal(v));
  }
  std::string out;
  for (size_t n = 0; n < parts.size(); ++n) {
    if (n > 0) {
      out.append(a[0].s);
    }
    out += parts[n];
    if (out.size() > limits.max_string_bytes) {
      break;
    }
  }
  return CheckedString(std::move(out), limits);
}

Result<Value> FnToJson(std::vector<Value>& a, const CallLimits& limits) {
  std::string out;
  if (!EncodeJson(ToJson(a[0]), out, 0)) {
    out.clear();  // sprig's toJson returns "" when encoding fails
  }
  return CheckedString(std::move(out), limits);
}

Result<Value> FnToString(std::vector<Value>& a, const CallLimits& limits) {
  return CheckedString(StrVal(a[0]), limits);
}

Result<Value> FnPlural(std::vector<Value>& a, const CallLimits&) {
  return a[2].i == 1 ? a[0] : a[1];
}

Result<Value> FnAdd(std::vector<Value>& a, const CallLimits&) {
  int64_t sum = 0;
  for (const Value& v : a) {
    sum = static_cast<int64_t>(static_cast<uint64_t>(sum) + static_cast<uint64_t>(ToInt64(v)));
  }
  return Value::Int(sum);
}
Result<Value> FnAdd1(std::vector<Value>& a, const CallLimits&) {
  return Value::Int(static_cast<int64_t>(static_cast<uint64_t>(ToInt64(a[0])) + 1));
}
Result<Value> FnSub(std::vector<Value>& a, const CallLimits&) {
  return Value::Int(static_cast<int64_t>(static_cast<uint64_t>(ToInt64(a[0])) -
                                         static_cast<uint64_t>(ToInt64(a[1]))));
}
Result<Value> FnMul(std::vector<Value>& a, const CallLimits&) {
  uint64_t product = static_cast<uint64_t>(ToInt64(a[0]));
  for (size_t n = 1; n < a.size(); ++n) {
    product *= static_cast<uint64_t>(ToInt64(a[n]));
  }
  return Value::Int(static_cast<int64_t>(product));
}
Result<Value> FnDiv(std::vector<Value>& a, const CallLimits&) {
  int64_t x = ToInt64(a[0]);
  int64_t y = ToInt64(a[1]);
  if (y == 0) {
    return tl::unexpected(Fail("runtime error: integer divide by zero"));
  }
  if (y == -1) {
    return Value::Int(static_cast<int64_t>(~static_cast<uint64_t>(x) + 1));
  }
  return Value::Int(x / y);
}
Result<Value> FnMod(std::vector<Value>& a, const CallLimits&) {
  int64_t x = ToInt64(a[0]);
  int64_t y = ToInt64(a[1]);
  if (y == 0) {
    return tl::unexpected(Fail("runtime error: integer divide by zero"));
  }
  if (y == -1) {
    return Value::Int(0);
  }
  return Value::Int(x % y);
}
Result<Value> FnMax(std::vector<Value>& a, const CallLimits&) {
  int64_t m = ToInt64(a[0]);
  for (size_t n = 1; n < a.size(); ++n) {
    m = std::max(m, ToInt64(a[n]));
  }
  return Value::Int(m);
}
Result<Value> FnMin(std::vector<Value>& a, const CallLimits&) {
  int64_t m = ToInt64(a[0]);
  for (size_t n = 1; n < a.size(); ++n) {
    m = std::min(m, ToInt64(a[n]));
  }
  return Value::Int(m);
}

Result<Value> FnList(std::vector<Value>& a, const CallLimits&) {
  nlohmann::json out = nlohmann::json::array();
  for (const Value& v : a) {
    out.push_back(ToJson(v));
  }
  return Value::Owned(std::move(out));
}

Result<Value> FnDict(std::vector<Value>& a, const CallLimits&) {
  nlohmann::json out = nlohmann::json::object();
  for (size_t n = 0; n < a.size(); n += 2) {
    std::string key = StrVal(a[n]);
    out[key] = n + 1 < a.size() ? ToJson(a[n + 1]) : nlohmann::json("");
  }
  return Value::Owned(std::move(out));
}

Result<Value> FnGet(std::vector<Value>& a, const CallLimits&) {
  if (a[0].kind == Kind::kMap) {
    auto it = a[0].json->find(std::string(a[1].s));
    if (it != a[0].json->end()) {
      return Value::FromJson(*it, Boxing::kBoxed, a[0].owner);
    }
  }
  return Value::String("");
}

Result<Value> FnHasKey(std::vector<Value>& a, const CallLimits&) {
  return Value::Bool(a[0].kind == Kind::kMap && a[0].json->contains(std::string(a[1].s)));
}

Result<Value> FnSplitList(std::vector<Value>& a, const CallLimits&) {
  std::string_view sep = a[0].s;
  std::string_view s = a[1].s;
  nlohmann::json out = nlohmann::json::array();
  if (sep.empty()) {
    for (size_t i = 0; i < s.size();) {
      DecodedRune d = Decode(s, i);
      std::string piece;
      if (d.valid) {
        piece.assign(s.substr(i, d.width));
      } else {
        AppendRune(piece, kRuneError);
      }
      out.push_back(piece);
      i += d.width;
    }
  } else {
    size_t start = 0;
    for (size_t pos; (pos = s.find(sep, start)) != std::string_view::npos;) {
      out.push_back(std::string(s.substr(start, pos - start)));
      start = pos + sep.size();
    }
    out.push_back(std::string(s.substr(start)));
  }
  return Value::Owned(std::move(out));
}

constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

Result<Value> FnB64Enc(std::vector<Value>& a, const CallLimits& limits) {
  std::string_view s = a[0].s;
  std::string out;
  size_t n = 0;
  for (; n + 2 < s.size(); n += 3) {
    uint32_t v = (static_cast<unsigned char>(s[n]) << 16) |
                 (static_cast<unsigned char>(s[n + 1]) << 8) | static_cast<unsigned char>(s[n + 2]);
    out.push_back(kBase64[(v >> 18) & 63]);
    out.push_back(kBase64[(v >> 12) & 63]);
    out.push_back(kBase64[(v >> 6) & 63]);
    out.push_back(kBase64[v & 63]);
  }
  if (n < s.size()) {
    uint32_t v = static_cast<unsigned char>(s[n]) << 16;
    if (n + 1 < s.size()) {
      v |= static_cast<unsigned char>(s[n + 1]) << 8;
    }
    out.push_back(kBase64[(v >> 18) & 63]);
    out.push_back(kBase64[(v >> 12) & 63]);
    out.push_back(n + 1 < s.size() ? kBase64[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return CheckedString(std::move(out), limits);
}

// encoding/base64 StdEncoding.DecodeString; sprig returns the error text.
Result<Value> FnB64Dec(std::vector<Value>& a, const CallLimits&) {
  std::string_view s = a[0].s;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  size_t quantum = 0;  // symbols in the current quantum, padding included
  size_t padding = 0;
  auto illegal = [](size_t at) {
    return Value::String("illegal base64 data at input byte " + std::to_string(at));
  };
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\r' || c == '\n') {
      continue;
    }
    if (c == '=') {
      if (quantum < 2) {
        return illegal(i);
      }
      ++padding;
      ++quantum;
      if (quantum == 4) {
        // Only newlines may follow the padding.
        for (size_t j = i + 1; j < s.size(); ++j) {
          if (s[j] != '\r' && s[j] != '\n') {
            return illegal(j);
          }
        }
        break;
      }
      continue;
    }
    if (padding > 0) {
      return illegal(i);
    }
    size_t pos = kBase64.find(c);
    if (pos == std::string_view::npos) {
      return illegal(i);
    }
    acc = (acc << 6) | static_cast<uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
    quantum = (quantum + 1) % 4;
  }
  if (padding == 0 && (quantum == 1 || quantum == 2 || quantum == 3)) {
    return illegal(s.size());
  }
  if (padding > 0 && quantum != 4) {
    return illegal(s.size());
  }
  return Value::String(std::move(out));
}

const std::vector<FuncSpec>& Funcs() {
  using P = ParamType;
  static const std::vector<FuncSpec> kFuncs = [] {
    std::vector<FuncSpec> f;
    auto add = [&](std::string_view name, std::vector<P> params, FuncImpl impl) {
      f.push_back(FuncSpec{name, std::move(params), false, P::kAny, impl});
    };
    auto add_variadic = [&](std::string_view name, std::vector<P> params, P variadic,
                            FuncImpl impl) {
      f.push_back(FuncSpec{name, std::move(params), true, variadic, impl});
    };
    // text/template builtins.
    add_variadic("and", {P::kValue}, P::kValue, nullptr);
    add_variadic("or", {P::kValue}, P::kValue, nullptr);
    add_variadic("call", {P::kValue}, P::kValue, nullptr);
    add_variadic("html", {}, P::kAny, FnHtml);
    add_variadic("index", {P::kValue}, P::kValue, FnIndex);
    add_variadic("slice", {P::kValue}, P::kValue, FnSlice);
    add_variadic("js", {}, P::kAny, FnJs);
    add("len", {P::kValue}, FnLen);
    add("not", {P::kValue}, FnNot);
    add_variadic("print", {}, P::kAny, FnPrint);
    add_variadic("printf", {P::kString}, P::kAny, FnPrintf);
    add_variadic("println", {}, P::kAny, FnPrintln);
    add_variadic("urlquery", {}, P::kAny, FnUrlQuery);
    add_variadic("eq", {P::kValue}, P::kValue, FnEq);
    add("ge", {P::kValue, P::kValue}, FnGe);
    add("gt", {P::kValue, P::kValue}, FnGt);
    add("le", {P::kValue, P::kValue}, FnLe);
    add("lt", {P::kValue, P::kValue}, FnLt);
    add("ne", {P::kValue, P::kValue}, FnNe);
    // Sprig.
    add("upper", {P::kString}, FnUpper);
    add("lower", {P::kString}, FnLower);
    add("title", {P::kString}, FnTitle);
    add("trim", {P::kString}, FnTrim);
    add("trimAll", {P::kString, P::kString}, FnTrimAll);
    add("trimall", {P::kString, P::kString}, FnTrimAll);
    add("trimPrefix", {P::kString, P::kString}, FnTrimPrefix);
    add("trimSuffix", {P::kString, P::kString}, FnTrimSuffix);
    add("nospace", {P::kString}, FnNospace);
    add("contains", {P::kString, P::kString}, FnContains);
    add("hasPrefix", {P::kString, P::kString}, FnHasPrefix);
    add("hasSuffix", {P::kString, P::kString}, FnHasSuffix);
    add("replace", {P::kString, P::kString, P::kString}, FnReplace);
    add("repeat", {P::kInt, P::kString}, FnRepeat);
    add("substr", {P::kInt, P::kInt, P::kString}, FnSubstr);
    add("trunc", {P::kInt, P::kString}, FnTrunc);
    add("abbrev", {P::kInt, P::kString}, FnAbbrev);
    add_variadic("quote", {}, P::kAny, FnQuote);
    add_variadic("squote", {}, P::kAny, FnSquote);
    add_variadic("cat", {}, P::kAny, FnCat);
    add("indent", {P::kInt, P::kString}, FnIndent);
    add("nindent", {P::kInt, P::kString}, FnNindent);
    add_variadic("default", {P::kAny}, P::kAny, FnDefault);
    add("empty", {P::kAny}, FnEmpty);
    add_variadic("coalesce", {}, P::kAny, FnCoalesce);
    add("ternary", {P::kAny, P::kAny, P::kBool}, FnTernary);
    add("join", {P::kString, P::kAny}, FnJoin);
    add("toJson", {P::kAny}, FnToJson);
    add("toString", {P::kAny}, FnToString);
    add("plural", {P::kString, P::kString, P::kInt}, FnPlural);
    add_variadic("add", {}, P::kAny, FnAdd);
    add("add1", {P::kAny}, FnAdd1);
    add("sub", {P::kAny, P::kAny}, FnSub);
    add_variadic("mul", {P::kAny}, P::kAny, FnMul);
    add("div", {P::kAny, P::kAny}, FnDiv);
    add("mod", {P::kAny, P::kAny}, FnMod);
    add_variadic("max", {P::kAny}, P::kAny, FnMax);
    add_variadic("min", {P::kAny}, P::kAny, FnMin);
    add_variadic("list", {}, P::kAny, FnList);
    add_variadic("dict", {}, P::kAny, FnDict);
    add("get", {P::kMap, P::kString}, FnGet);
    add("hasKey", {P::kMap, P::kString}, FnHasKey);
    add("splitList", {P::kString, P::kString}, FnSplitList);
    add("b64enc", {P::kString}, FnB64Enc);
    add("b64dec", {P::kString}, FnB64Dec);
    return f;
  }();
  return kFuncs;
}

}  // namespace

std::string_view GoTrimSpace(std::string_view s) { return TrimSpace(s); }

// ---------------------------------------------------------------------------
// Value.

Value Value::Bool(bool v) {
  Value out;
  out.kind = Kind::kBool;
  out.b = v;
  return out;
}

Value Value::Int(int64_t v) {
  Value out;
  out.kind = Kind::kInt;
  out.i = v;
  return out;
}

Value Value::Float(double v) {
  Value out;
  out.kind = Kind::kFloat;
  out.f = v;
  return out;
}

Value Value::String(std::string v) {
  Value out;
  out.kind = Kind::kString;
  auto holder = std::make_shared<std::string>(std::move(v));
  out.s = *holder;
  out.str_owner = std::move(holder);
  return out;
}

Value Value::StringView(std::string_view v) {
  Value out;
  out.kind = Kind::kString;
  out.s = v;
  return out;
}

Value Value::FromJson(const nlohmann::json& j, Boxing boxing,
                      std::shared_ptr<const nlohmann::json> owner) {
  Value out;
  bool boxed = boxing == Boxing::kBoxed;
  out.boxed = boxed;
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      out.kind = boxed ? Kind::kNil : Kind::kInvalid;
      return out;
    case nlohmann::json::value_t::boolean:
      out.kind = Kind::kBool;
      out.b = j.get<bool>();
      return out;
    case nlohmann::json::value_t::number_integer:
      out.kind = Kind::kInt;
      out.i = j.get<int64_t>();
      return out;
    case nlohmann::json::value_t::number_unsigned: {
      auto u = j.get<uint64_t>();
      if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        out.kind = Kind::kInt;
        out.i = static_cast<int64_t>(u);
      } else {
        out.kind = Kind::kFloat;
        out.f = static_cast<double>(u);
      }
      return out;
    }
    case nlohmann::json::value_t::number_float:
      out.kind = Kind::kFloat;
      out.f = j.get<double>();
      return out;
    case nlohmann::json::value_t::string:
      out.kind = Kind::kString;
      out.s = j.get_ref<const std::string&>();
      out.owner = std::move(owner);
      return out;
    case nlohmann::json::value_t::array:
      out.kind = Kind::kList;
      out.json = &j;
      out.owner = std::move(owner);
      return out;
    case nlohmann::json::value_t::object:
      out.kind = Kind::kMap;
      out.json = &j;
      out.owner = std::move(owner);
      return out;
    default:
      out.kind = Kind::kInvalid;
      out.boxed = false;
      return out;
  }
}

Value Value::Owned(nlohmann::json j) {
  auto holder = std::make_shared<const nlohmann::json>(std::move(j));
  const nlohmann::json& ref = *holder;
  return FromJson(ref, Boxing::kUnboxed, std::move(holder));
}

Value Value::Unboxed() const {
  Value out = *this;
  if (out.boxed) {
    out.boxed = false;
    if (out.kind == Kind::kNil) {
      out.kind = Kind::kInvalid;
    }
  }
  return out;
}

std::string TypeName(const Value& v) {
  switch (v.kind) {
    case Kind::kInvalid:
      return "<nil>";
    case Kind::kNil:
      return "interface {}";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float64";
    case Kind::kString:
      return "string";
    case Kind::kList:
      return "[]interface {}";
    case Kind::kMap:
      return "map[string]interface {}";
  }
  return "<nil>";
}

std::string StaticTypeName(const Value& v) {
  return v.boxed ? std::string("interface {}") : TypeName(v);
}

bool Truth(const Value& v) {
  switch (v.kind) {
    case Kind::kInvalid:
    case Kind::kNil:
      return false;
    case Kind::kBool:
      return v.b;
    case Kind::kInt:
      return v.i != 0;
    case Kind::kFloat:
      return v.f != 0;
    case Kind::kString:
      return !v.s.empty();
    case Kind::kList:
    case Kind::kMap:
      return !v.json->empty();
  }
  return false;
}

nlohmann::json ToJson(const Value& v) {
  switch (v.kind) {
    case Kind::kInvalid:
    case Kind::kNil:
      return nullptr;
    case Kind::kBool:
      return v.b;
    case Kind::kInt:
      return v.i;
    case Kind::kFloat:
      return v.f;
    case Kind::kString:
      return std::string(v.s);
    case Kind::kList:
    case Kind::kMap:
      return *v.json;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------
// Text helpers.

bool IsPrintRune(int32_t r) {
  if (r < 0x20) {
    return false;
  }
  if (r < 0x7F) {
    return true;
  }
  if (r <= 0xA0 || r == 0xAD) {
    return false;
  }
  if (r > kMaxRune || (r >= 0xD800 && r <= 0xDFFF)) {
    return false;
  }
  if (IsSpaceRune(r)) {
    return false;
  }
  if ((r >= 0x200B && r <= 0x200F) || (r >= 0x202A && r <= 0x202E) ||
      (r >= 0x2060 && r <= 0x206F) || r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB) ||
      r == 0xFFFE || r == 0xFFFF || (r >= 0xE000 && r <= 0xF8FF) || r >= 0xF0000) {
    return false;
  }
  return true;
}

void AppendRune(std::string& out, int32_t r) {
  if (r < 0 || r > kMaxRune || (r >= 0xD800 && r <= 0xDFFF)) {
    r = kRuneError;
  }
  auto u = static_cast<uint32_t>(r);
  if (u < 0x80) {
    out.push_back(static_cast<char>(u));
  } else if (u < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (u >> 6)));
    out.push_back(static_cast<char>(0x80 | (u & 0x3F)));
  } else if (u < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (u >> 12)));
    out.push_back(static_cast<char>(0x80 | ((u >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (u & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (u >> 18)));
    out.push_back(static_cast<char>(0x80 | ((u >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((u >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (u & 0x3F)));
  }
}

std::string GoQuote(std::string_view s) { return QuoteWith(s, '"', QuoteMode::kPrintable); }

std::string GoQuoteToAscii(std::string_view s) { return QuoteWith(s, '"', QuoteMode::kAscii); }

std::string DescribeRune(int32_t r) {
  std::string hex;
  for (auto x = static_cast<uint32_t>(r); x > 0; x >>= 4) {
    hex.insert(hex.begin(), kUpperHex[x & 0xF]);
  }
  while (hex.size() < 4) {
    hex.insert(hex.begin(), '0');
  }
  std::string out = "U+" + hex;
  if (IsPrintRune(r)) {
    out += " '";
    AppendRune(out, r);
    out += "'";
  }
  return out;
}

std::string FormatFloat(double v, char fmt, int prec) {
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  std::string_view sign = std::signbit(v) ? "-" : "";
  double a = std::fabs(v);
  if (prec >= 0 && (fmt == 'f' || fmt == 'e' || fmt == 'E')) {
    char buf[512];
    auto res = std::to_chars(buf, buf + sizeof(buf), a,
                             fmt == 'f' ? std::chars_format::fixed : std::chars_format::scientific,
                             std::min(prec, 400));
    if (res.ec != std::errc()) {
      return "NaN";
    }
    std::string out(sign);
    out.append(buf, res.ptr);
    if (fmt == 'E') {
      std::replace(out.begin(), out.end(), 'e', 'E');
    }
    return out;
  }
  bool shortest = prec < 0;
  Digits digs;
  if (shortest) {
    digs = ShortestDigits(a);
  } else {
    if (prec == 0) {
      prec = 1;
    }
    digs = RoundedDigits(a, std::min(prec, 400));
  }
  int nd = static_cast<int>(digs.d.size());
  if (fmt == 'e' || fmt == 'E') {
    return FmtE(sign, digs, std::max(nd - 1, 0), fmt);
  }
  if (fmt == 'f') {
    return FmtF(sign, digs, std::max(nd - digs.dp, 0));
  }
  // 'g' / 'G'
  if (shortest) {
    prec = nd;
  }
  int eprec = prec;
  if (eprec > nd && nd >= digs.dp) {
    eprec = nd;
  }
  if (shortest) {
    eprec = 6;
  }
  int exp = digs.dp - 1;
  if (exp < -4 || exp >= eprec) {
    if (prec > nd) {
      prec = nd;
    }
    return FmtE(sign, digs, prec - 1, fmt == 'g' ? 'e' : 'E');
  }
  if (prec > digs.dp) {
    prec = nd;
  }
  return FmtF(sign, digs, std::max(prec - digs.dp, 0));
}

std::optional<uint64_t> ParseGoUint(std::string_view s) {
  // Go's underscoreOK: '_' only between digits, where a base prefix (or the
  // leading 0 of an octal literal) counts as a digit; never at the end.
  int base = 10;
  bool after_digit = false;
  bool any_digit = false;
  if (s.size() >= 2 && s[0] == '0') {
    char c = static_cast<char>(s[1] | 0x20);
    if (c == 'x' || c == 'o' || c == 'b') {
      base = c == 'x' ? 16 : c == 'o' ? 8 : 2;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
      any_digit = true;
    }
    after_digit = true;
  }
  uint64_t n = 0;
  for (char c : s) {
    if (c == '_') {
      if (!after_digit) {
        return std::nullopt;
      }
      after_digit = false;
      continue;
    }
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
      d = (c | 0x20) - 'a' + 10;
    } else {
      return std::nullopt;
    }
    if (d >= base) {
      return std::nullopt;
    }
    if (n > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) /
                static_cast<uint64_t>(base)) {
      return std::nullopt;
    }
    n = n * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    any_digit = true;
    after_digit = true;
  }
  if (!any_digit || !after_digit) {
    return std::nullopt;
  }
  return n;
}

std::optional<int64_t> ParseGoInt(std::string_view s) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  auto u = ParseGoUint(s);
  if (!u) {
    return std::nullopt;
  }
  if (neg) {
    if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) {
      return std::nullopt;
    }
    return static_cast<int64_t>(~*u + 1);
  }
  if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return std::nullopt;
  }
  return static_cast<int64_t>(*u);
}

std::optional<double> ParseGoFloat(std::string_view s) {
  std::string clean;
  for (char c : s) {
    if (c != '_') {
      clean.push_back(c);
    }
  }
  if (clean.empty()) {
    return std::nullopt;
  }
  bool neg = false;
  std::string_view body = clean;
  if (body[0] == '+' || body[0] == '-') {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body.empty() || !((body[0] >= '0' && body[0] <= '9') || body[0] == '.')) {
    return std::nullopt;
  }
  double value = 0;
  if (body.size() > 2 && body[0] == '0' && (body[1] | 0x20) == 'x') {
    // Hex float: mantissa digits with an optional point, then a mandatory p exponent.
    std::string_view rest = body.substr(2);
    size_t p = rest.find_first_of("pP");
    if (p == std::string_view::npos) {
      return std::nullopt;
    }
    double mant = 0;
    int frac_digits = 0;
    bool seen_point = false;
    bool any = false;
    for (char c : rest.substr(0, p)) {
      if (c == '.') {
        if (seen_point) {
          return std::nullopt;
        }
        seen_point = true;
        continue;
      }
      int d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
        d = (c | 0x20) - 'a' + 10;
      } else {
        return std::nullopt;
      }
      mant = mant * 16 + d;
      any = true;
      if (seen_point) {
        ++frac_digits;
      }
    }
    auto e = ParseGoInt(rest.substr(p + 1));
    if (!any || !e || *e > 10000 || *e < -10000) {
      return std::nullopt;
    }
    value = std::ldexp(mant, static_cast<int>(*e) - 4 * frac_digits);
  } else {
    auto res = std::from_chars(body.data(), body.data() + body.size(), value);
    if (res.ec == std::errc::invalid_argument || res.ptr != body.data() + body.size()) {
      return std::nullopt;
    }
    if (res.ec == std::errc::result_out_of_range) {
      return std::nullopt;
    }
  }
  return neg ? -value : value;
}

// ---------------------------------------------------------------------------
// fmt entry points.

Result<std::string> Sprint(std::span<const Value> args) {
  Printer p(std::numeric_limits<size_t>::max());
  p.DoPrint(args);
  return p.Finish();
}

Result<std::string> Sprintln(std::span<const Value> args) {
  Printer p(std::numeric_limits<size_t>::max());
  p.DoPrintln(args);
  return p.Finish();
}

Result<std::string> Sprintf(std::string_view format, std::span<const Value> args) {
  Printer p(std::numeric_limits<size_t>::max());
  p.DoPrintf(format, args);
  return p.Finish();
}

Result<std::string> FormatV(const Value& v) { return Sprint(std::span<const Value>(&v, 1)); }

// ---------------------------------------------------------------------------
// Escapers.

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '\0':
        out += "\xEF\xBF\xBD";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string HtmlTemplateEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '+') {
      out += "&#43;";
    } else {
      switch (c) {
        case '\0':
          out += "\xEF\xBF\xBD";
          break;
        case '"':
          out += "&#34;";
          break;
        case '\'':
          out += "&#39;";
          break;
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        default:
          out.push_back(c);
      }
    }
  }
  return out;
}

std::string JsEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '\\':
          out += "\\\\";
          break;
        case '\'':
          out += "\\'";
          break;
        case '"':
          out += "\\\"";
          break;
        case '<':
          out += "\\u003C";
          break;
        case '>':
          out += "\\u003E";
          break;
        case '&':
          out += "\\u0026";
          break;
        case '=':
          out += "\\u003D";
          break;
        default:
          if (c < ' ') {
            out += "\\u00";
            out.push_back(kUpperHex[c >> 4]);
            out.push_back(kUpperHex[c & 0xF]);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    DecodedRune d = Decode(s, i);
    int32_t r = d.valid ? d.r : kRuneError;
    if (IsPrintRune(r)) {
      out.append(s.substr(i, d.width));
    } else {
      std::string hex;
      for (auto x = static_cast<uint32_t>(r); x > 0; x >>= 4) {
        hex.insert(hex.begin(), kUpperHex[x & 0xF]);
      }
      while (hex.size() < 4) {
        hex.insert(hex.begin(), '0');
      }
      out += "\\u" + hex;
    }
    i += d.width;
  }
  return out;
}

std::string UrlQueryEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kUpperHex[c >> 4]);
      out.push_back(kUpperHex[c & 0xF]);
    }
  }
  return out;
}

std::string_view ParamTypeName(ParamType t) {
  switch (t) {
    case ParamType::kAny:
      return "interface {}";
    case ParamType::kValue:
      return "reflect.Value";
    case ParamType::kString:
      return "string";
    case ParamType::kInt:
      return "int";
    case ParamType::kBool:
      return "bool";
    case ParamType::kMap:
      return "map[string]interface {}";
  }
  return "interface {}";
}

const FuncSpec* FindFunc(std::string_view name) {
  for (const FuncSpec& f : Funcs()) {
    if (f.name == name) {
      return &f;
    }
  }
  return nullptr;
}

}  // namespace mneme::domain::courier::gotmpl
