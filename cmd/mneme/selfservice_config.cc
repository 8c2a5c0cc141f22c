#include "cmd/mneme/selfservice_config.h"

#include <cstdlib>

#include "infra/config/duration.h"

namespace mneme::cmd {
namespace {

using nlohmann::json;

Result<int64_t> Micros(const infra::config::Config& c, const std::string& key, int64_t fallback) {
  const std::string text = c.GetString(key);
  if (text.empty()) {
    return fallback;
  }
  auto d = infra::config::ParseDuration(text);
  if (!d || d->count() <= 0) {
    return MakeError(Code::kInvalidArgument, "config: " + key + ": not a positive duration: " + text);
  }
  return static_cast<int64_t>(d->count());
}

bool Bool(const infra::config::Config& c, const std::string& key, bool fallback) {
  const std::string v = c.GetString(key);
  return v.empty() ? fallback : v == "true";
}

const json* At(const json& tree, const std::string& dotted) {
  const json* cur = &tree;
  size_t start = 0;
  while (true) {
    const size_t dot = dotted.find('.', start);
    const std::string part = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object() || !cur->contains(part)) {
      return nullptr;
    }
    cur = &(*cur)[part];
    if (dot == std::string::npos) {
      return cur;
    }
    start = dot + 1;
  }
}

// Kratos: method hooks (after.<method>.hooks) replace the global after.hooks.
std::vector<std::string> Hooks(const json& tree, const std::string& flow) {
  const json* hooks = At(tree, "selfservice.flows." + flow + ".after.password.hooks");
  if (!hooks || !hooks->is_array()) {
    hooks = At(tree, "selfservice.flows." + flow + ".after.hooks");
  }
  std::vector<std::string> out;
  if (hooks && hooks->is_array()) {
    for (const auto& h : *hooks) {
      if (h.is_object() && h.contains("hook") && h["hook"].is_string()) {
        out.push_back(h["hook"].get<std::string>());
      }
    }
  }
  return out;
}

std::string ReturnUrl(const infra::config::Config& c, const std::string& flow) {
  std::string url = c.GetString("selfservice.flows." + flow + ".after.password.default_browser_return_url");
  if (url.empty()) {
    url = c.GetString("selfservice.flows." + flow + ".after.default_browser_return_url");
  }
  return url;
}

std::vector<std::string> Strings(const json& tree, const std::string& key) {
  std::vector<std::string> out;
  if (const json* v = At(tree, key); v && v->is_array()) {
    for (const auto& s : *v) {
      if (s.is_string()) {
        out.push_back(s.get<std::string>());
      }
    }
  }
  return out;
}

}  // namespace

api::CorsOptions PublicCorsFrom(const infra::config::Config& c) {
  api::CorsOptions cors;
  cors.enabled = Bool(c, "serve.public.cors.enabled", false);
  auto list = [&](const std::string& key, std::vector<std::string>& out) {
    if (const json* v = At(c.tree, key); v && v->is_array()) {
      out = Strings(c.tree, key);
    }
  };
  list("serve.public.cors.allowed_origins", cors.allowed_origins);
  list("serve.public.cors.allowed_methods", cors.allowed_methods);
  list("serve.public.cors.allowed_headers", cors.allowed_headers);
  list("serve.public.cors.exposed_headers", cors.exposed_headers);
  cors.allow_credentials = Bool(c, "serve.public.cors.allow_credentials", true);
  cors.max_age = std::atoi(c.GetString("serve.public.cors.max_age", "0").c_str());
  return cors;
}

Result<SelfServiceSettings> SelfServiceSettingsFrom(const infra::config::Config& c, bool dev) {
  constexpr const char* kFallback = "https://www.ory.sh/kratos/docs/fallback/";
  SelfServiceSettings s;
  auto& ss = s.selfservice;
  ss.public_base_url = c.public_api.base_url;
  ss.default_return_url = c.GetString("selfservice.default_browser_return_url");
  ss.allowed_return_urls = Strings(c.tree, "selfservice.allowed_return_urls");
  ss.error_ui_url = c.GetString("selfservice.flows.error.ui_url", std::string(kFallback) + "error");
  ss.login_ui_url = c.GetString("selfservice.flows.login.ui_url", std::string(kFallback) + "login");
  ss.registration_ui_url =
      c.GetString("selfservice.flows.registration.ui_url", std::string(kFallback) + "registration");
  MNEME_TRY(ss.login_lifespan_micros, Micros(c, "selfservice.flows.login.lifespan", 3600LL * 1000000));
  MNEME_TRY(ss.registration_lifespan_micros,
            Micros(c, "selfservice.flows.registration.lifespan", 3600LL * 1000000));
  ss.registration_enabled = Bool(c, "selfservice.flows.registration.enabled", true);
  ss.password_enabled = Bool(c, "selfservice.methods.password.enabled", true);
  ss.two_step_registration = !Bool(c, "selfservice.flows.registration.enable_legacy_one_step", false);
  ss.login_return_url = ReturnUrl(c, "login");
  ss.registration_return_url = ReturnUrl(c, "registration");
  ss.logout_return_url = c.GetString("selfservice.flows.logout.after.default_browser_return_url");
  ss.login_hooks = Hooks(c.tree, "login");
  ss.registration_hooks = Hooks(c.tree, "registration");
  ss.whoami_required_aal = c.GetString("session.whoami.required_aal", "highest_available");
  ss.verification_enabled = Bool(c, "selfservice.flows.verification.enabled", false);
  ss.verification_use = c.GetString("selfservice.flows.verification.use", "code");
  ss.verification_ui_url =
      c.GetString("selfservice.flows.verification.ui_url", std::string(kFallback) + "verification");
  ss.verification_return_url =
      c.GetString("selfservice.flows.verification.after.default_browser_return_url");
  MNEME_TRY(ss.verification_lifespan_micros,
            Micros(c, "selfservice.flows.verification.lifespan", 3600LL * 1000000));
  ss.verification_notify_unknown =
      Bool(c, "selfservice.flows.verification.notify_unknown_recipients", false);
  ss.recovery_enabled = Bool(c, "selfservice.flows.recovery.enabled", false);
  ss.recovery_use = c.GetString("selfservice.flows.recovery.use", "code");
  ss.recovery_ui_url =
      c.GetString("selfservice.flows.recovery.ui_url", std::string(kFallback) + "recovery");
  MNEME_TRY(ss.recovery_lifespan_micros,
            Micros(c, "selfservice.flows.recovery.lifespan", 3600LL * 1000000));
  ss.recovery_notify_unknown = Bool(c, "selfservice.flows.recovery.notify_unknown_recipients", false);
  for (const auto* use : {&ss.verification_use, &ss.recovery_use}) {
    if (*use != "code" && *use != "link") {
      return MakeError(Code::kInvalidArgument,
                       "config: selfservice.flows.{verification,recovery}.use must be code or link");
    }
  }
  ss.code_enabled = Bool(c, "selfservice.methods.code.enabled", true);
  MNEME_TRY(ss.code_lifespan_micros,
            Micros(c, "selfservice.methods.code.config.lifespan", 3600LL * 1000000));
  ss.link_enabled = Bool(c, "selfservice.methods.link.enabled", true);
  MNEME_TRY(ss.link_lifespan_micros,
            Micros(c, "selfservice.methods.link.config.lifespan", 3600LL * 1000000));
  ss.link_base_url = c.GetString("selfservice.methods.link.config.base_url");
  while (!ss.link_base_url.empty() && ss.link_base_url.back() == '/') {
    ss.link_base_url.pop_back();
  }
  ss.settings_ui_url =
      c.GetString("selfservice.flows.settings.ui_url", std::string(kFallback) + "settings");
  MNEME_TRY(ss.settings_lifespan_micros,
            Micros(c, "selfservice.flows.settings.lifespan", 3600LL * 1000000));
  MNEME_TRY(ss.privileged_session_max_age_micros,
            Micros(c, "selfservice.flows.settings.privileged_session_max_age", 15LL * 60 * 1000000));
  ss.use_continue_with_transitions = Bool(c, "feature_flags.use_continue_with_transitions", false);
  for (const auto& h : ss.registration_hooks) {
    ss.show_verification_ui = ss.show_verification_ui || h == "show_verification_ui";
  }
  const std::string min_len = c.GetString("selfservice.methods.password.config.min_password_length");
  if (!min_len.empty()) {
    const long v = std::strtol(min_len.c_str(), nullptr, 10);
    if (v < 6) {
      return MakeError(Code::kInvalidArgument,
                       "config: selfservice.methods.password.config.min_password_length: must be at least 6");
    }
    ss.password_policy.min_length = static_cast<size_t>(v);
  }
  ss.password_policy.identifier_similarity =
      Bool(c, "selfservice.methods.password.config.identifier_similarity_check_enabled", true);
  s.hibp_enabled = Bool(c, "selfservice.methods.password.config.haveibeenpwned_enabled", true);
  s.hibp_host = c.GetString("selfservice.methods.password.config.haveibeenpwned_host",
                            "api.pwnedpasswords.com");
  s.max_breaches = std::strtoll(
      c.GetString("selfservice.methods.password.config.max_breaches", "0").c_str(), nullptr, 10);
  s.ignore_network_errors =
      Bool(c, "selfservice.methods.password.config.ignore_network_errors", true);
  s.breached_list = c.GetString("mneme.passwords.breached_list");

  ss.throttle_enabled = Bool(c, "mneme.throttle.enabled", true);
  ss.trusted_proxies = Strings(c.tree, "mneme.throttle.trusted_proxies");
  for (const auto& cidr : ss.trusted_proxies) {
    if (!domain::throttle::Cidr::Parse(cidr)) {
      return MakeError(Code::kInvalidArgument, "config: mneme.throttle.trusted_proxies: not a CIDR: " + cidr);
    }
  }
  if (const std::string v = c.GetString("mneme.throttle.login.free_failures"); !v.empty()) {
    s.login_throttle.free_failures = std::atoi(v.c_str());
  }
  MNEME_TRY(auto base, Micros(c, "mneme.throttle.login.base_delay", 1000000));
  MNEME_TRY(auto max, Micros(c, "mneme.throttle.login.max_delay", 900LL * 1000000));
  s.login_throttle.base_delay = std::chrono::microseconds(base);
  s.login_throttle.max_delay = std::chrono::microseconds(max);
  if (const std::string v = c.GetString("mneme.throttle.client.burst"); !v.empty()) {
    s.client_limiter.burst = std::strtod(v.c_str(), nullptr);
  }
  if (const std::string v = c.GetString("mneme.throttle.client.per_second"); !v.empty()) {
    s.client_limiter.per_second = std::strtod(v.c_str(), nullptr);
  }
  if (auto ok = domain::throttle::Validate(s.login_throttle); !ok) {
    return MakeError(Code::kInvalidArgument, "config: mneme.throttle.login: " + ok.error().message());
  }
  if (auto ok = domain::throttle::Validate(s.client_limiter); !ok) {
    return MakeError(Code::kInvalidArgument, "config: mneme.throttle.client: " + ok.error().message());
  }

  auto& ck = ss.cookies;
  ck.domain = c.GetString("session.cookie.domain", c.GetString("cookies.domain"));
  ck.path = c.GetString("session.cookie.path", c.GetString("cookies.path", "/"));
  ck.same_site = c.GetString("session.cookie.same_site", c.GetString("cookies.same_site", "Lax"));
  ck.secure = ss.public_base_url.rfind("https://", 0) == 0;
  if (!ck.secure && ck.same_site == "None") {
    ck.same_site = "Lax";  // browsers drop SameSite=None without Secure (Kratos forces Lax)
  }
  ck.session_name = c.GetString("session.cookie.name", "ory_kratos_session");
  ck.persistent = Bool(c, "session.cookie.persistent", true);
  ss.disable_api_flow_enforcement = dev && std::getenv("DEV_DISABLE_API_FLOW_ENFORCEMENT") &&
                                    std::string(std::getenv("DEV_DISABLE_API_FLOW_ENFORCEMENT")) == "true";

  MNEME_TRY(s.sessions.lifespan_micros, Micros(c, "session.lifespan", 24LL * 3600 * 1000000));
  MNEME_TRY(s.sessions.earliest_possible_extend_micros,
            Micros(c, "session.earliest_possible_extend", s.sessions.lifespan_micros));
  return s;
}

}  // namespace mneme::cmd
