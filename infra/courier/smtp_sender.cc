#include "infra/courier/smtp_sender.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <ctime>
#include <optional>
#include <utility>
#include <vector>

#include <curl/curl.h>

#include "infra/hash/base64.h"

namespace mneme::infra::courier {
namespace {

using workers::courier::OutgoingMail;

constexpr size_t kMaxHeaderLine = 78;    // RFC 5322 2.1.1 "SHOULD"
constexpr size_t kMaxEncodedLine = 76;   // RFC 2047 2, RFC 2045 6.7
constexpr size_t kMaxEncodedWord = 75;   // RFC 2047 2
constexpr size_t kMaxPlainWord = 900;    // longer words are B-encoded (998 limit)
constexpr std::string_view kEncodedWordPrefix = "=?UTF-8?B?";
constexpr std::string_view kEncodedWordSuffix = "?=";

// ---- RAII for libcurl ----

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// The message handed to libcurl piece by piece after DATA.
struct Upload {
  std::string_view data;
  size_t offset = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* upload = static_cast<Upload*>(userdata);
  const size_t n = std::min(size * nitems, upload->data.size() - upload->offset);
  std::memcpy(buffer, upload->data.data() + upload->offset, n);
  upload->offset += n;
  return n;
}

// ---- Character classes ----

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool IsControlOrSpace(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7F;
}

// Go's net/url validUserinfo: RFC 3986 unreserved and sub-delims, ':', '%'
// and (leniently) '@'.
bool IsUserinfoChar(char c) {
  return c != '\0' && (IsAsciiAlnum(c) || std::strchr("-._~!$&'()*+,;=:%@", c) != nullptr);
}

// A DNS name, or an IPv4 literal (not validated further: the resolver is).
bool IsHostName(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return IsAsciiAlnum(c) || c == '-' || c == '.' || c == '_';
  });
}

bool IsIpv6Literal(std::string_view s) {
  return !s.empty() && s.find(':') != std::string_view::npos &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
         });
}

// Only these three names may receive a password in the clear, as in Go's
// net/smtp PlainAuth (isLocalhost).
bool IsLocalhostName(std::string_view host) {
  return host == "localhost" || host == "127.0.0.1" || host == "::1";
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// ---- URI pieces ----

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

enum class PlusMeansSpace { kNo, kYes };

std::optional<std::string> PercentDecode(std::string_view s, PlusMeansSpace plus) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) {
        return std::nullopt;
      }
      const int hi = HexValue(s[i + 1]);
      const int lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) {
        return std::nullopt;
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (s[i] == '+' && plus == PlusMeansSpace::kYes) {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    if (IsAsciiAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      const auto u = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

// The first value of `key` in a query string, as Go's url.Values.Get after
// url.ParseQuery (pairs that do not decode are skipped).
std::string QueryGet(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty() || pair.find(';') != std::string_view::npos) {
      continue;
    }
    const size_t eq = pair.find('=');
    const std::optional<std::string> k = PercentDecode(pair.substr(0, eq), PlusMeansSpace::kYes);
    if (!k || *k != key) {
      continue;
    }
    if (eq == std::string_view::npos) {
      return "";
    }
    const std::optional<std::string> v = PercentDecode(pair.substr(eq + 1), PlusMeansSpace::kYes);
    if (v) {
      return *v;
    }
  }
  return "";
}

// Go's strconv.ParseBool; anything else is false, as Kratos ignores the
// parse error.
bool GoParseBoolOrFalse(std::string_view s) {
  return s == "1" || s == "t" || s == "T" || s == "true" || s == "TRUE" || s == "True";
}

// ---- Header encoding ----

bool IsUtf8Continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Texts that can go into a header as they are: printable ASCII and spaces.
bool NeedsEncoding(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u >= 0x7F;
  });
}

bool HasOverlongWord(std::string_view s) {
  size_t run = 0;
  for (char c : s) {
    run = c == ' ' ? 0 : run + 1;
    if (run > kMaxPlainWord) {
      return true;
    }
  }
  return false;
}

std::string EncodedWord(std::string_view bytes) {
  return std::string(kEncodedWordPrefix) +
         hash::EncodeBase64(bytes, hash::Base64Padding::kPadded) +
         std::string(kEncodedWordSuffix);
}

// `text` as RFC 2047 B encoded-words in UTF-8, each at most 75 characters,
// never splitting a UTF-8 sequence, joined by folding whitespace. The first
// word is sized to fit after `used` characters already on the line.
std::string EncodeWords(std::string_view text, size_t used) {
  const size_t overhead = kEncodedWordPrefix.size() + kEncodedWordSuffix.size();
  std::string out;
  size_t line_used = used;
  while (!text.empty()) {
    const size_t room = std::min(kMaxEncodedWord, kMaxEncodedLine > line_used
                                                      ? kMaxEncodedLine - line_used
                                                      : size_t{0});
    // Base64 of n bytes takes 4*ceil(n/3) characters.
    size_t max_bytes = room > overhead ? (room - overhead) / 4 * 3 : 0;
    if (max_bytes < 4 && line_used > 1) {
      // No room for even one character here: continue on a new line.
      out += "\r\n ";
      line_used = 1;
      continue;
    }
    max_bytes = std::max<size_t>(max_bytes, 4);
    size_t n = std::min(max_bytes, text.size());
    while (n < text.size() && n > 0 && IsUtf8Continuation(text[n])) {
      --n;
    }
    if (n == 0) {  // a broken sequence longer than a word: split it anyway
      n = std::min(max_bytes, text.size());
    }
    if (!out.empty() && out.back() != ' ') {
      out += "\r\n ";
      line_used = 1;
    }
    const std::string word = EncodedWord(text.substr(0, n));
    out += word;
    line_used += word.size();
    text.remove_prefix(n);
  }
  return out;
}

// ASCII text folded at spaces so that lines stay within 78 characters where
// the words allow; `used` characters are already on the first line.
std::string FoldPlain(std::string_view text, size_t used) {
  std::string out;
  size_t line_used = used;
  size_t start = 0;
  while (start < text.size()) {
    // A chunk is the leading spaces plus the next word.
    size_t end = start;
    while (end < text.size() && text[end] == ' ') {
      ++end;
    }
    while (end < text.size() && text[end] != ' ') {
      ++end;
    }
    const std::string_view chunk = text.substr(start, end - start);
    if (line_used + chunk.size() > kMaxHeaderLine && chunk.front() == ' ' &&
        line_used > 1) {
      out += "\r\n";  // the chunk's leading space is the fold's whitespace
      line_used = 0;
    }
    out += chunk;
    line_used += chunk.size();
    start = end;
  }
  return out;
}

// "Name: value\r\n" for an unstructured field (RFC 5322 3.2.5, RFC 2047).
std::string UnstructuredField(std::string_view name, std::string_view value) {
  const size_t used = name.size() + 2;
  std::string line = std::string(name) + ": ";
  if (NeedsEncoding(value) || HasOverlongWord(value)) {
    line += EncodeWords(value, used);
  } else {
    line += FoldPlain(value, used);
  }
  line += "\r\n";
  return line;
}

std::string QuotedString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// From with a display name as gomail's FormatAddress writes it: a quoted
// string for ASCII names, encoded-words otherwise.
std::string FromField(std::string_view address, std::string_view name) {
  if (name.empty()) {
    return "From: " + std::string(address) + "\r\n";
  }
  std::string line = "From: ";
  if (NeedsEncoding(name) || HasOverlongWord(name)) {
    line += EncodeWords(name, line.size());
  } else {
    line += QuotedString(name);
  }
  const std::string angle = "<" + std::string(address) + ">";
  const size_t last_break = line.rfind('\n');
  const size_t last_line_length =
      last_break == std::string::npos ? line.size() : line.size() - last_break - 1;
  line += last_line_length + 1 + angle.size() > kMaxHeaderLine ? "\r\n " : " ";
  line += angle;
  line += "\r\n";
  return line;
}

// RFC 5322 3.3 date-time in UTC: "Tue, 14 Nov 2023 22:13:20 +0000".
std::string FormatRfc5322Date(domain::Timestamp now) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t seconds = now.micros / 1'000'000;
  if (now.micros < 0 && now.micros % 1'000'000 != 0) {
    --seconds;
  }
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%s, %02d %s %04d %02d:%02d:%02d +0000",
                kDays[tm.tm_wday % 7], tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buffer;
}

// ---- Body encoding ----

// Quoted-printable (RFC 2045 6.7) of `text` with every line break (CRLF, LF
// or CR) written as CRLF, lines at most 76 characters.
std::string QuotedPrintable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  size_t line_length = 0;
  auto emit = [&](std::string_view token) {
    if (line_length + token.size() > kMaxEncodedLine - 1) {
      out += "=\r\n";  // soft line break
      line_length = 0;
    }
    out += token;
    line_length += token.size();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
        ++i;
      }
      out += "\r\n";
      line_length = 0;
      continue;
    }
    const auto u = static_cast<unsigned char>(c);
    const bool at_line_end =
        i + 1 == text.size() || text[i + 1] == '\r' || text[i + 1] == '\n';
    const bool literal = (u >= 33 && u <= 126 && c != '=') ||
                         ((c == ' ' || c == '\t') && !at_line_end);
    if (literal) {
      emit(std::string_view(&c, 1));
    } else {
      const char escaped[3] = {'=', kHex[u >> 4], kHex[u & 0xF]};
      emit(std::string_view(escaped, 3));
    }
  }
  return out;
}

std::string TextPart(std::string_view subtype, std::string_view body) {
  return "Content-Type: text/" + std::string(subtype) +
         "; charset=UTF-8\r\n"
         "Content-Transfer-Encoding: quoted-printable\r\n"
         "\r\n" +
         QuotedPrintable(body);
}

// ---- Validation ----

// An address as one SMTP path: no controls, spaces or delimiters that would
// end it or add another; non-ASCII is left to SMTPUTF8.
Status ValidateAddress(std::string_view what, std::string_view address) {
  if (address.empty()) {
    return MakeError(Code::kInvalidArgument, std::string(what) + " is empty");
  }
  for (char c : address) {
    if (IsControlOrSpace(c) || c == '<' || c == '>' || c == ',' || c == ';' || c == '"') {
      return MakeError(Code::kInvalidArgument,
                       std::string(what) + " is not a single bare e-mail address");
    }
  }
  return OkStatus();
}

// The message id becomes the left part of Message-ID: dot-atom-text, limited
// to the characters a uuid or a similar token needs.
Status ValidateMessageId(std::string_view id) {
  if (id.empty() || id.front() == '.' || id.back() == '.' ||
      id.find("..") != std::string_view::npos ||
      !std::all_of(id.begin(), id.end(), [](char c) {
        return IsAsciiAlnum(c) || c == '-' || c == '.' || c == '_';
      })) {
    return MakeError(Code::kInvalidArgument,
                     "courier: message id must be letters, digits, '-', '_' and '.'");
  }
  return OkStatus();
}

bool IsReservedHeader(std::string_view name) {
  return EqualsIgnoreCase(name, "MIME-Version") || EqualsIgnoreCase(name, "Content-Type") ||
         EqualsIgnoreCase(name, "Content-Transfer-Encoding");
}

Status ValidateHeaders(const std::map<std::string, std::string>& headers) {
  for (const auto& [name, value] : headers) {
    // RFC 5322 field-name: printable ASCII except ':'.
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          const auto u = static_cast<unsigned char>(c);
          return u >= 33 && u <= 126 && c != ':';
        })) {
      return MakeError(Code::kInvalidArgument,
                       "courier.smtp.headers: \"" + name + "\" is not a header field name");
    }
    if (IsReservedHeader(name)) {
      return MakeError(Code::kInvalidArgument,
                       "courier.smtp.headers: " + name + " is set by the courier");
    }
    if (std::any_of(value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n'; })) {
      return MakeError(Code::kInvalidArgument,
                       "courier.smtp.headers: the value of " + name + " has a line break");
    }
  }
  return OkStatus();
}

bool IsDomainToken(std::string_view s) {
  return IsHostName(s) && s.front() != '.' && s.back() != '.' &&
         s.find("..") == std::string_view::npos;
}

Result<std::string> MessageIdDomain(const SmtpOptions& options) {
  if (!options.message_id_domain.empty()) {
    if (!IsDomainToken(options.message_id_domain)) {
      return MakeError(Code::kInvalidArgument,
                       "message_id_domain \"" + options.message_id_domain +
                           "\" is not a domain name");
    }
    return options.message_id_domain;
  }
  const size_t at = options.from_address.rfind('@');
  const std::string domain =
      at == std::string::npos ? std::string() : options.from_address.substr(at + 1);
  return IsDomainToken(domain) ? domain : std::string("localhost");
}

Status ValidateMailOptions(const SmtpOptions& options) {
  MNEME_RETURN_IF_ERROR(ValidateAddress("courier.smtp.from_address", options.from_address));
  if (std::any_of(options.from_name.begin(), options.from_name.end(),
                  [](char c) { return c == '\r' || c == '\n'; })) {
    return MakeError(Code::kInvalidArgument, "courier.smtp.from_name has a line break");
  }
  MNEME_RETURN_IF_ERROR(ValidateHeaders(options.headers));
  MNEME_RETURN_IF_ERROR(MessageIdDomain(options));
  return OkStatus();
}

// The configured value for a generated field, if the operator set one.
const std::string* Override(const SmtpOptions& options, std::string_view name) {
  for (const auto& [key, value] : options.headers) {
    if (EqualsIgnoreCase(key, name)) {
      return &value;
    }
  }
  return nullptr;
}

bool IsGeneratedHeader(std::string_view name) {
  for (std::string_view generated : {"Date", "From", "To", "Subject", "Message-ID"}) {
    if (EqualsIgnoreCase(name, generated)) {
      return true;
    }
  }
  return false;
}

std::string Boundary(std::string_view message_id) {
  // "=_" cannot occur in quoted-printable output ('=' is always followed by
  // two hex digits or a line break), so the boundary never collides with a
  // part's content.
  std::string boundary = "=_mneme_";
  for (char c : message_id) {
    if (IsAsciiAlnum(c) && boundary.size() < 60) {
      boundary.push_back(c);
    }
  }
  return boundary;
}

// ---- curl error mapping ----

Error SendError(CURLcode rc, long smtp_code, const char* detail, const std::string& server) {
  std::string message = "smtp " + server + ": " + (detail[0] != '\0' ? detail : curl_easy_strerror(rc));
  if (smtp_code >= 500 && smtp_code <= 599 && rc != CURLE_OPERATION_TIMEDOUT) {
    // Kratos (courier/smtp_channel.go) abandons on 5xx: not retried unchanged.
    return Error(Code::kInvalidArgument, message + " (reply " + std::to_string(smtp_code) + ")");
  }
  if (smtp_code >= 400 && smtp_code <= 499) {
    message += " (reply " + std::to_string(smtp_code) + ")";
  }
  return Error(Code::kUnavailable, std::move(message));
}

}  // namespace

Result<SmtpEndpoint> ParseSmtpUri(std::string_view uri) {
  auto invalid = [](std::string why) {
    return MakeError(Code::kInvalidArgument, "courier.smtp.connection_uri: " + std::move(why));
  };
  if (std::any_of(uri.begin(), uri.end(), IsControlOrSpace)) {
    return invalid("contains spaces or control characters");
  }
  const size_t scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) {
    return invalid("must start with smtp:// or smtps://");
  }
  SmtpEndpoint endpoint;
  const std::string_view scheme = uri.substr(0, scheme_end);
  if (EqualsIgnoreCase(scheme, "smtp")) {
    endpoint.security = SmtpTransportSecurity::kStartTls;
  } else if (EqualsIgnoreCase(scheme, "smtps")) {
    endpoint.security = SmtpTransportSecurity::kImplicitTls;
  } else {
    return invalid("the scheme must be smtp or smtps, not " + std::string(scheme));
  }

  std::string_view rest = uri.substr(scheme_end + 3);
  const size_t fragment = rest.find('#');
  rest = rest.substr(0, fragment);
  const size_t query_start = rest.find('?');
  const std::string_view query =
      query_start == std::string_view::npos ? std::string_view() : rest.substr(query_start + 1);
  rest = rest.substr(0, query_start);
  std::string_view authority = rest.substr(0, rest.find('/'));  // the path is ignored

  // userinfo@host:port; the last '@' ends the userinfo, as in Go's net/url
  // (which lets "a@b:pw@host" through as user "a@b").
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    if (!std::all_of(userinfo.begin(), userinfo.end(), IsUserinfoChar)) {
      return invalid("invalid character in the user or password (percent-encode it)");
    }
    const size_t colon = userinfo.find(':');
    std::optional<std::string> user =
        PercentDecode(userinfo.substr(0, colon), PlusMeansSpace::kNo);
    std::optional<std::string> password =
        colon == std::string_view::npos
            ? std::optional<std::string>(std::string())
            : PercentDecode(userinfo.substr(colon + 1), PlusMeansSpace::kNo);
    if (!user || !password) {
      return invalid("malformed percent escape in the user or password");
    }
    endpoint.username = std::move(*user);
    endpoint.password = std::move(*password);
  }

  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return invalid("unterminated [ in the host");
    }
    endpoint.host = std::string(authority.substr(1, close - 1));
    if (!IsIpv6Literal(endpoint.host)) {
      return invalid("\"" + endpoint.host + "\" is not an IPv6 address");
    }
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return invalid("unexpected text after the IPv6 address");
      }
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    endpoint.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
    }
    if (endpoint.host.empty()) {
      return invalid("no host");
    }
    if (!IsHostName(endpoint.host)) {
      return invalid("\"" + endpoint.host + "\" is not a host name");
    }
  }

  if (port_text.empty()) {
    endpoint.port = endpoint.security == SmtpTransportSecurity::kImplicitTls ? 465 : 25;
  } else {
    int port = 0;
    const auto [ptr, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
      return invalid("\"" + std::string(port_text) + "\" is not a port");
    }
    endpoint.port = port;
  }

  if (endpoint.security == SmtpTransportSecurity::kStartTls &&
      GoParseBoolOrFalse(QueryGet(query, "disable_starttls"))) {
    endpoint.security = SmtpTransportSecurity::kNone;
  }
  endpoint.verification = GoParseBoolOrFalse(QueryGet(query, "skip_ssl_verify"))
                              ? TlsVerification::kSkip
                              : TlsVerification::kVerify;
  endpoint.server_name = QueryGet(query, "server_name");
  if (endpoint.server_name.empty()) {
    endpoint.server_name = endpoint.host;
  } else if (!IsHostName(endpoint.server_name)) {
    return invalid("server_name \"" + endpoint.server_name + "\" is not a host name");
  }
  return endpoint;
}

Result<std::string> BuildMimeMessage(const SmtpOptions& options, const OutgoingMail& mail,
                                     domain::Timestamp now) {
  MNEME_RETURN_IF_ERROR(ValidateMailOptions(options));
  MNEME_RETURN_IF_ERROR(ValidateAddress("recipient", mail.to));
  MNEME_RETURN_IF_ERROR(ValidateMessageId(mail.message_id));
  MNEME_TRY(const std::string id_domain, MessageIdDomain(options));

  // Generated fields in order; a configured field of the same name takes the
  // generated one's place.
  std::string out;
  auto field = [&](std::string_view name, std::string generated) {
    if (const std::string* value = Override(options, name)) {
      out += UnstructuredField(name, *value);
    } else {
      out += generated;
    }
  };
  field("Date", "Date: " + FormatRfc5322Date(now) + "\r\n");
  field("From", FromField(options.from_address, options.from_name));
  field("To", "To: " + mail.to + "\r\n");
  field("Subject", UnstructuredField("Subject", mail.subject));
  field("Message-ID", "Message-ID: <" + mail.message_id + "@" + id_domain + ">\r\n");
  out += "MIME-Version: 1.0\r\n";
  for (const auto& [name, value] : options.headers) {
    if (!IsGeneratedHeader(name)) {
      out += UnstructuredField(name, value);
    }
  }

  if (mail.body_html.empty()) {
    out += TextPart("plain", mail.body_plaintext);
    // SMTP cannot carry a message whose last line has no line break: end it
    // here rather than leave libcurl to add one after the fact.
    if (!out.ends_with("\r\n")) {
      out += "\r\n";
    }
    return out;
  }
  const std::string boundary = Boundary(mail.message_id);
  out += "Content-Type: multipart/alternative;\r\n boundary=\"" + boundary + "\"\r\n\r\n";
  out += "--" + boundary + "\r\n";
  out += TextPart("plain", mail.body_plaintext);
  out += "\r\n--" + boundary + "\r\n";
  out += TextPart("html", mail.body_html);
  out += "\r\n--" + boundary + "--\r\n";
  return out;
}

Result<std::unique_ptr<SmtpSender>> SmtpSender::Create(SmtpOptions options,
                                                       const domain::Clock& clock) {
  MNEME_TRY(SmtpEndpoint endpoint, ParseSmtpUri(options.connection_uri));
  MNEME_RETURN_IF_ERROR(ValidateMailOptions(options));
  if (options.local_name.empty()) {
    options.local_name = "localhost";
  }
  const std::string& local = options.local_name;
  const bool address_literal = local.size() > 2 && local.front() == '[' && local.back() == ']';
  if (!(IsHostName(local) ||
        (address_literal && std::all_of(local.begin() + 1, local.end() - 1, [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.' ||
                  IsAsciiAlnum(c);
         })))) {
    return MakeError(Code::kInvalidArgument,
                     "courier.smtp.local_name \"" + local + "\" is not a host name");
  }
  if (options.timeout.count() <= 0) {
    return MakeError(Code::kInvalidArgument, "smtp timeout must be positive");
  }
  // Thread-safe and reference-counted in libcurl >= 7.84; paired with
  // curl_global_cleanup in the destructor.
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return MakeError(Code::kInternal, "curl_global_init failed");
  }
  return std::unique_ptr<SmtpSender>(new SmtpSender(std::move(options), std::move(endpoint), clock));
}

namespace {

std::string UrlHost(std::string_view host) {
  return host.find(':') != std::string_view::npos ? "[" + std::string(host) + "]"
                                                  : std::string(host);
}

std::string BuildUrl(const SmtpEndpoint& e, const std::string& local_name) {
  // With TLS, the URL names server_name, so that libcurl sends it as SNI and
  // checks the certificate against it; CONNECT_TO points it at the host.
  const std::string& name = e.security == SmtpTransportSecurity::kNone ? e.host : e.server_name;
  const char* scheme = e.security == SmtpTransportSecurity::kImplicitTls ? "smtps" : "smtp";
  // libcurl sends the URL's path, percent-decoded, as the EHLO domain.
  return std::string(scheme) + "://" + UrlHost(name) + ":" + std::to_string(e.port) + "/" +
         PercentEncode(local_name);
}

std::string BuildConnectTo(const SmtpEndpoint& e) {
  if (e.security == SmtpTransportSecurity::kNone || e.server_name == e.host) {
    return "";
  }
  const std::string port = std::to_string(e.port);
  return UrlHost(e.server_name) + ":" + port + ":" + UrlHost(e.host) + ":" + port;
}

std::string BuildAuthOptions(const SmtpEndpoint& e) {
  // The mechanisms gomail knows. No reusable password in the clear to a
  // remote host (see the header).
  if (e.security == SmtpTransportSecurity::kNone && !IsLocalhostName(e.host)) {
    return "AUTH=CRAM-MD5";
  }
  return "AUTH=CRAM-MD5;AUTH=PLAIN;AUTH=LOGIN";
}

}  // namespace

SmtpSender::SmtpSender(SmtpOptions options, SmtpEndpoint endpoint, const domain::Clock& clock)
    : options_(std::move(options)),
      endpoint_(std::move(endpoint)),
      url_(BuildUrl(endpoint_, options_.local_name)),
      connect_to_(BuildConnectTo(endpoint_)),
      auth_options_(BuildAuthOptions(endpoint_)),
      server_label_(UrlHost(endpoint_.host) + ":" + std::to_string(endpoint_.port)),
      clock_(clock) {}

SmtpSender::~SmtpSender() { curl_global_cleanup(); }

Status SmtpSender::Send(const OutgoingMail& mail) {
  MNEME_TRY(const std::string message, BuildMimeMessage(options_, mail, clock_.Now()));

  CurlEasy curl(curl_easy_init());
  if (!curl) {
    return MakeError(Code::kUnavailable, "smtp: curl_easy_init failed");
  }
  const std::string rcpt = "<" + mail.to + ">";
  CurlSlist recipients(curl_slist_append(nullptr, rcpt.c_str()));
  if (!recipients) {
    return MakeError(Code::kUnavailable, "smtp: out of memory");
  }
  CurlSlist connect_to;
  if (!connect_to_.empty()) {
    connect_to.reset(curl_slist_append(nullptr, connect_to_.c_str()));
    if (!connect_to) {
      return MakeError(Code::kUnavailable, "smtp: out of memory");
    }
  }
  const std::string from = "<" + options_.from_address + ">";
  Upload upload{message, 0};
  char error[CURL_ERROR_SIZE] = {0};
  const long timeout_ms = static_cast<long>(options_.timeout.count());

  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: thread-safe
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  if (connect_to) {
    curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect_to.get());
  }
  switch (endpoint_.security) {
    case SmtpTransportSecurity::kStartTls:
    case SmtpTransportSecurity::kImplicitTls:
      // For smtp:// a server without STARTTLS fails the transfer before
      // MAIL FROM (CURLE_USE_SSL_FAILED).
      curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
      break;
    case SmtpTransportSecurity::kNone:
      curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_NONE));
      break;
  }
  if (endpoint_.verification == TlsVerification::kSkip) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!endpoint_.username.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, endpoint_.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, endpoint_.password.c_str());
    curl_easy_setopt(h, CURLOPT_LOGIN_OPTIONS, auth_options_.c_str());
  }
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, &ReadUpload);
  curl_easy_setopt(h, CURLOPT_READDATA, &upload);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));

  const CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK) {
    return OkStatus();
  }
  long smtp_code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &smtp_code);
  return tl::unexpected<Error>(SendError(rc, smtp_code, error, server_label_));
}

}  // namespace mneme::infra::courier
