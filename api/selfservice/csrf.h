// Anti-CSRF tokens of browser flows, as Kratos's nosurf: a 32-byte random
// token in the cookie `csrf_token_<hex sha256 of the public base URL>`
// (standard base64), and a masked copy in the form's `csrf_token` node
// (base64 of pad || token XOR pad, 64 bytes), different on every render.
// Comparisons are constant-time. Pure functions over a RandomSource;
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <httplib.h>

#include "domain/common/clock.h"

namespace mneme::api {

std::string CsrfCookieName(std::string_view public_base_url);
// A fresh raw token (32 bytes).
std::string NewCsrfToken(domain::RandomSource& random);
// The masked form of a raw token, for a form node.
std::string MaskCsrfToken(std::string_view raw, domain::RandomSource& random);
// The raw token of a masked one; nullopt when it is not one.
std::optional<std::string> UnmaskCsrfToken(std::string_view masked);
// The raw token in a cookie value; nullopt when malformed.
std::optional<std::string> DecodeCsrfCookie(std::string_view value);
std::string EncodeCsrfCookie(std::string_view raw);
// SHA-256 hex of a raw token, as a flow stores it.
std::string CsrfHash(std::string_view raw);

// The value of cookie `name` in the request's Cookie headers, if any.
std::optional<std::string> RequestCookie(const httplib::Request& req, std::string_view name);
// True when the request carries any cookie other than Cloudflare's (__cf*,
// _cf*, cf_*): native flows refuse those.
bool HasNonCloudflareCookie(const httplib::Request& req);

}  // namespace mneme::api
