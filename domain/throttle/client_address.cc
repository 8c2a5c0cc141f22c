#include "domain/throttle/client_address.h"

#include <cstddef>
#include <optional>

namespace mneme::domain::throttle {
namespace {

constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (IsDigit(c)) {
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

// 0..max written in decimal without leading zeros; nullopt otherwise.
std::optional<int> ParseDecimal(std::string_view s, int max) {
  if (s.empty() || s.size() > 3 || (s.size() > 1 && s[0] == '0')) {
    return std::nullopt;
  }
  int value = 0;
  for (char c : s) {
    if (!IsDigit(c)) {
      return std::nullopt;
    }
    value = value * 10 + (c - '0');
  }
  if (value > max) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::array<uint8_t, 4>> ParseV4(std::string_view s) {
  std::array<uint8_t, 4> out{};
  for (size_t i = 0; i < 4; ++i) {
    size_t dot = s.find('.');
    std::string_view part = i == 3 ? s : s.substr(0, dot);
    if (i < 3 && dot == std::string_view::npos) {
      return std::nullopt;
    }
    std::optional<int> value = ParseDecimal(part, 255);
    if (!value) {
      return std::nullopt;
    }
    out[i] = static_cast<uint8_t>(*value);
    if (i < 3) {
      s.remove_prefix(dot + 1);
    }
  }
  return out;
}

// Colon-separated 16-bit groups; the last may be a dotted IPv4 address (two
// groups). An empty string is zero groups.
struct Groups {
  std::vector<uint16_t> values;
  bool ends_with_v4 = false;
};

std::optional<Groups> ParseGroups(std::string_view s) {
  Groups out;
  if (s.empty()) {
    return out;
  }
  while (true) {
    size_t colon = s.find(':');
    std::string_view part = s.substr(0, colon);
    if (colon == std::string_view::npos && part.find('.') != std::string_view::npos) {
      std::optional<std::array<uint8_t, 4>> v4 = ParseV4(part);
      if (!v4) {
        return std::nullopt;
      }
      out.values.push_back(static_cast<uint16_t>((*v4)[0] << 8 | (*v4)[1]));
      out.values.push_back(static_cast<uint16_t>((*v4)[2] << 8 | (*v4)[3]));
      out.ends_with_v4 = true;
      return out;
    }
    if (part.empty() || part.size() > 4) {
      return std::nullopt;
    }
    int value = 0;
    for (char c : part) {
      int digit = HexValue(c);
      if (digit < 0) {
        return std::nullopt;
      }
      value = value * 16 + digit;
    }
    out.values.push_back(static_cast<uint16_t>(value));
    if (colon == std::string_view::npos) {
      return out;
    }
    s.remove_prefix(colon + 1);
  }
}

std::optional<std::array<uint8_t, 16>> ParseV6(std::string_view s) {
  size_t gap = s.find("::");
  if (gap != std::string_view::npos && s.find("::", gap + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  std::optional<Groups> head = ParseGroups(gap == std::string_view::npos ? s : s.substr(0, gap));
  std::optional<Groups> tail =
      ParseGroups(gap == std::string_view::npos ? std::string_view() : s.substr(gap + 2));
  if (!head || !tail) {
    return std::nullopt;
  }
  std::vector<uint16_t> groups;
  if (gap == std::string_view::npos) {
    if (head->values.size() != 8) {
      return std::nullopt;
    }
    groups = head->values;
  } else {
    if (head->ends_with_v4 || head->values.size() + tail->values.size() > 7) {
      return std::nullopt;
    }
    groups = head->values;
    groups.resize(8 - tail->values.size(), 0);
    groups.insert(groups.end(), tail->values.begin(), tail->values.end());
  }
  std::array<uint8_t, 16> out{};
  for (size_t i = 0; i < 8; ++i) {
    out[2 * i] = static_cast<uint8_t>(groups[i] >> 8);
    out[2 * i + 1] = static_cast<uint8_t>(groups[i] & 0xff);
  }
  return out;
}

bool IsMapped(const std::array<uint8_t, 16>& bytes) {
  for (size_t i = 0; i < kMappedPrefix.size(); ++i) {
    if (bytes[i] != kMappedPrefix[i]) {
      return false;
    }
  }
  return true;
}

// The address as 16 bytes: IPv4 as IPv4-mapped IPv6.
std::array<uint8_t, 16> AsV6(const IpAddress& ip) {
  if (ip.family == IpFamily::kV6) {
    return ip.bytes;
  }
  std::array<uint8_t, 16> out{};
  for (size_t i = 0; i < kMappedPrefix.size(); ++i) {
    out[i] = kMappedPrefix[i];
  }
  for (size_t i = 0; i < 4; ++i) {
    out[12 + i] = ip.bytes[i];
  }
  return out;
}

void ClearHostBits(std::array<uint8_t, 16>& bytes, int prefix_length) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    int keep = prefix_length - static_cast<int>(i) * 8;
    if (keep <= 0) {
      bytes[i] = 0;
    } else if (keep < 8) {
      bytes[i] &= static_cast<uint8_t>(0xff << (8 - keep));
    }
  }
}

bool SamePrefix(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b,
                int prefix_length) {
  std::array<uint8_t, 16> masked = b;
  ClearHostBits(masked, prefix_length);
  return a == masked;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool IsPort(std::string_view s) {
  if (s.empty() || s.size() > 5) {
    return false;
  }
  for (char c : s) {
    if (!IsDigit(c)) {
      return false;
    }
  }
  return true;
}

// An address as proxies write it: bare, "[v6]", "[v6]:port" or "v4:port".
Result<IpAddress> ParseHop(std::string_view s) {
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) {
      return MakeError(Code::kInvalidArgument, "unterminated [ in address");
    }
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty() && !(rest.front() == ':' && IsPort(rest.substr(1)))) {
      return MakeError(Code::kInvalidArgument, "bad port after ]");
    }
    std::string_view inside = s.substr(1, close - 1);
    if (inside.find(':') == std::string_view::npos) {
      return MakeError(Code::kInvalidArgument, "IPv4 address in brackets");
    }
    return IpAddress::Parse(inside);
  }
  size_t colon = s.find(':');
  if (colon != std::string_view::npos && s.find(':', colon + 1) == std::string_view::npos) {
    if (!IsPort(s.substr(colon + 1))) {
      return MakeError(Code::kInvalidArgument, "bad port");
    }
    MNEME_TRY(IpAddress ip, IpAddress::Parse(s.substr(0, colon)));
    return ip;
  }
  return IpAddress::Parse(s);
}

bool Trusted(const IpAddress& ip, const std::vector<Cidr>& trusted) {
  for (const Cidr& range : trusted) {
    if (range.Contains(ip)) {
      return true;
    }
  }
  return false;
}

}  // namespace

Result<IpAddress> IpAddress::Parse(std::string_view text) {
  IpAddress ip;
  if (text.find(':') == std::string_view::npos) {
    std::optional<std::array<uint8_t, 4>> v4 = ParseV4(text);
    if (!v4) {
      return MakeError(Code::kInvalidArgument, "not an IPv4 address");
    }
    ip.family = IpFamily::kV4;
    for (size_t i = 0; i < 4; ++i) {
      ip.bytes[i] = (*v4)[i];
    }
    return ip;
  }
  std::optional<std::array<uint8_t, 16>> v6 = ParseV6(text);
  if (!v6) {
    return MakeError(Code::kInvalidArgument, "not an IPv6 address");
  }
  if (IsMapped(*v6)) {
    ip.family = IpFamily::kV4;
    for (size_t i = 0; i < 4; ++i) {
      ip.bytes[i] = (*v6)[12 + i];
    }
    return ip;
  }
  ip.family = IpFamily::kV6;
  ip.bytes = *v6;
  return ip;
}

std::string IpAddress::ToString() const {
  std::string out;
  if (family == IpFamily::kV4) {
    for (size_t i = 0; i < 4; ++i) {
      if (i > 0) {
        out += '.';
      }
      out += std::to_string(bytes[i]);
    }
    return out;
  }
  std::array<uint16_t, 8> groups{};
  for (size_t i = 0; i < 8; ++i) {
    groups[i] = static_cast<uint16_t>(bytes[2 * i] << 8 | bytes[2 * i + 1]);
  }
  // RFC 5952: compress the longest run (first on a tie) of two or more zeros.
  int best_start = -1;
  int best_length = 1;
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0) {
      ++j;
    }
    if (j - i > best_length) {
      best_start = i;
      best_length = j - i;
    }
    i = j;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_length - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') {
      out += ':';
    }
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      int digit = (groups[i] >> shift) & 0xf;
      if (digit != 0 || started || shift == 0) {
        out += kHex[digit];
        started = true;
      }
    }
  }
  return out;
}

Result<Cidr> Cidr::Parse(std::string_view text) {
  size_t slash = text.find('/');
  std::string_view address = text.substr(0, slash);
  const bool v6_notation = address.find(':') != std::string_view::npos;
  std::optional<int> prefix;
  if (slash != std::string_view::npos) {
    prefix = ParseDecimal(text.substr(slash + 1), v6_notation ? 128 : 32);
    if (!prefix) {
      return MakeError(Code::kInvalidArgument,
                       "bad prefix length in CIDR \"" + std::string(text) + "\"");
    }
  }
  Result<IpAddress> ip = IpAddress::Parse(address);
  if (!ip) {
    return MakeError(Code::kInvalidArgument, "bad address in CIDR \"" + std::string(text) + "\"");
  }
  Cidr cidr;
  if (!v6_notation) {
    cidr.family = IpFamily::kV4;
    cidr.prefix_length = prefix.value_or(32);
    cidr.network = ip->bytes;
  } else if (ip->family == IpFamily::kV4 && prefix.value_or(128) >= 96) {
    cidr.family = IpFamily::kV4;  // an IPv4-mapped range
    cidr.prefix_length = prefix.value_or(128) - 96;
    cidr.network = ip->bytes;
  } else {
    cidr.family = IpFamily::kV6;
    cidr.prefix_length = prefix.value_or(128);
    cidr.network = AsV6(*ip);
  }
  if (cidr.family == IpFamily::kV4) {
    for (size_t i = 4; i < 16; ++i) {
      cidr.network[i] = 0;
    }
  }
  ClearHostBits(cidr.network, cidr.prefix_length);
  return cidr;
}

bool Cidr::Contains(std::string_view ip) const {
  Result<IpAddress> parsed = IpAddress::Parse(ip);
  return parsed && Contains(*parsed);
}

bool Cidr::Contains(const IpAddress& ip) const {
  if (family == IpFamily::kV4) {
    return ip.family == IpFamily::kV4 && SamePrefix(network, ip.bytes, prefix_length);
  }
  return SamePrefix(network, AsV6(ip), prefix_length);
}

std::string Cidr::ToString() const {
  IpAddress ip;
  ip.family = family;
  ip.bytes = network;
  return ip.ToString() + "/" + std::to_string(prefix_length);
}

std::string ClientAddress(std::string_view remote_addr, std::string_view x_forwarded_for,
                          const std::vector<Cidr>& trusted_proxies) {
  Result<IpAddress> remote = ParseHop(Trim(remote_addr));
  if (!remote) {
    return std::string(remote_addr);
  }
  if (!Trusted(*remote, trusted_proxies)) {
    return remote->ToString();
  }
  IpAddress hop = *remote;
  std::string_view rest = x_forwarded_for;
  while (!rest.empty()) {
    size_t comma = rest.rfind(',');
    std::string_view entry =
        Trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    if (entry.empty()) {
      continue;
    }
    Result<IpAddress> ip = ParseHop(entry);
    if (!ip) {
      return hop.ToString();
    }
    if (!Trusted(*ip, trusted_proxies)) {
      return ip->ToString();
    }
    hop = *ip;
  }
  return hop.ToString();
}

std::string RateLimitKey(std::string_view address) {
  Result<IpAddress> ip = IpAddress::Parse(address);
  if (!ip) {
    return std::string(address);
  }
  if (ip->family == IpFamily::kV4) {
    return ip->ToString();
  }
  IpAddress prefix = *ip;
  ClearHostBits(prefix.bytes, 64);
  return prefix.ToString() + "/64";
}

}  // namespace mneme::domain::throttle
