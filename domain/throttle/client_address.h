// Client addresses for throttling: IP parsing (IpAddress), trusted-proxy
// ranges (Cidr), the client behind a proxy chain (ClientAddress) and the
// per-client key of ClientLimiter (RateLimitKey). Written out here instead of
// inet_pton so domain/ stays free of OS headers.
//
// Addresses are canonical: IPv4 as a dotted quad, IPv6 as RFC 5952 text
// (lower case, longest zero run compressed), and IPv4-mapped IPv6
// (::ffff:a.b.c.d, what a dual-stack socket reports for IPv4 peers) as the
// IPv4 address, so "10.0.0.0/8" matches it.
//
// Thread-safety: value types and pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/common/result.h"

namespace mneme::domain::throttle {

enum class IpFamily { kV4, kV6 };

struct IpAddress {
  IpFamily family = IpFamily::kV4;
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4

  // A bare address: "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1".
  // kInvalidArgument: anything else (leading zeros in IPv4, zone ids, ports).
  static Result<IpAddress> Parse(std::string_view text);
  std::string ToString() const;
  bool operator==(const IpAddress&) const = default;
};

struct Cidr {
  IpFamily family = IpFamily::kV4;
  std::array<uint8_t, 16> network{};  // host bits cleared
  int prefix_length = 0;

  // "10.0.0.0/8", "::1/128", "fd00::/8"; without "/n" a single host (/32,
  // /128). Host bits are cleared ("10.1.2.3/8" is 10.0.0.0/8). An
  // IPv4-mapped range of /96 or longer becomes the IPv4 range.
  // kInvalidArgument: bad address, or a prefix that is not 0..32 / 0..128.
  static Result<Cidr> Parse(std::string_view text);
  // False for text that is not an address.
  bool Contains(std::string_view ip) const;
  bool Contains(const IpAddress& ip) const;
  std::string ToString() const;
};

// The address to throttle a request by. If remote_addr (the TCP peer) is in
// trusted_proxies, X-Forwarded-For (all its header values joined with ",",
// in order) is walked from the right, skipping trusted proxies, and the first
// untrusted address is returned; if every hop is trusted, the leftmost. An
// entry that is not an address ("unknown", garbage) ends the walk and the
// last trusted hop, the one that handed it over, is returned: nothing left of
// it can be attributed, and skipping it would let a client choose its key.
// Entries may carry a port ("192.0.2.1:1234", "[2001:db8::1]:80"); empty
// entries are skipped. If remote_addr is not trusted, X-Forwarded-For is
// ignored and remote_addr returned. Results are canonical; a remote_addr that
// is not an IP (a unix socket) is returned as given.
std::string ClientAddress(std::string_view remote_addr, std::string_view x_forwarded_for,
                          const std::vector<Cidr>& trusted_proxies);

// The ClientLimiter key for a canonical address: IPv4 as is, IPv6 as its /64
// ("2001:db8:1:2::/64"), since one subscriber usually holds a whole /64. Text
// that is not an address is returned as given.
std::string RateLimitKey(std::string_view address);

}  // namespace mneme::domain::throttle
