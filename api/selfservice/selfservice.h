// SelfService: Kratos's public self-service API for registration, login,
// logout and sessions (browser, SPA and native flows), and the admin session
// endpoints. Handlers decide the answer style per request (HTML redirects,
// SPA JSON, native JSON) as Kratos does, check CSRF and origins, throttle,
// and drive the flow, identity and session services. Thread-safe: all state
// lives in the event store and the thread-safe throttles.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "api/admin/identity_service.h"
#include "api/courier/courier_service.h"
#include "api/http/errors.h"
#include "domain/common/keyed_hash.h"
#include "api/http/router.h"
#include "api/schemas.h"
#include "api/selfservice/flow_repository.h"
#include "api/session/session_service.h"
#include "domain/common/clock.h"
#include "domain/identity/password_hasher.h"
#include "domain/password/breach_check.h"
#include "domain/password/policy.h"
#include "domain/throttle/client_address.h"
#include "domain/throttle/client_limiter.h"
#include "domain/throttle/login_throttle.h"

namespace mneme::api {

// SPA or native: the request wants JSON answers instead of redirects
// (Accept or Content-Type application/json).
bool AcceptsJson(const httplib::Request& req);

struct CookieOptions {
  std::string domain;
  std::string path = "/";
  std::string same_site = "Lax";  // Lax | Strict | None
  bool secure = false;            // true when the public base URL is https
  std::string session_name = "ory_kratos_session";
  bool persistent = true;
};

struct SelfServiceConfig {
  std::string public_base_url;  // without trailing slash
  std::string default_return_url;
  std::vector<std::string> allowed_return_urls;
  std::string error_ui_url;
  std::string login_ui_url;
  std::string registration_ui_url;
  int64_t login_lifespan_micros = 3600LL * 1000000;
  int64_t registration_lifespan_micros = 3600LL * 1000000;
  bool registration_enabled = true;
  bool password_enabled = true;
  bool two_step_registration = true;  // !enable_legacy_one_step
  std::string login_return_url;         // login.after[.password].default_browser_return_url
  std::string registration_return_url;  // registration.after[.password].default_browser_return_url
  std::string logout_return_url;
  std::vector<std::string> login_hooks;         // after password hooks (replace-not-append)
  std::vector<std::string> registration_hooks;  // idem
  std::string whoami_required_aal = "highest_available";
  domain::password::PolicyOptions password_policy;
  bool throttle_enabled = true;
  std::vector<std::string> trusted_proxies;  // CIDRs
  CookieOptions cookies;
  bool disable_api_flow_enforcement = false;  // --dev with DEV_DISABLE_API_FLOW_ENFORCEMENT

  // Verification and recovery (selfservice.flows.{verification,recovery},
  // selfservice.methods.{code,link}).
  bool verification_enabled = false;
  std::string verification_use = "code";  // code | link
  std::string verification_ui_url;
  std::string verification_return_url;  // verification.after.default_browser_return_url
  int64_t verification_lifespan_micros = 3600LL * 1000000;
  bool verification_notify_unknown = false;
  bool recovery_enabled = false;
  std::string recovery_use = "code";
  std::string recovery_ui_url;
  int64_t recovery_lifespan_micros = 3600LL * 1000000;
  bool recovery_notify_unknown = false;
  bool code_enabled = true;
  int64_t code_lifespan_micros = 3600LL * 1000000;
  bool link_enabled = true;
  int64_t link_lifespan_micros = 3600LL * 1000000;
  std::string link_base_url;  // methods.link.config.base_url (default: the public URL)
  std::string settings_ui_url;
  int64_t settings_lifespan_micros = 3600LL * 1000000;
  int64_t privileged_session_max_age_micros = 15LL * 60 * 1000000;
  bool use_continue_with_transitions = false;  // feature_flags.use_continue_with_transitions
  bool show_verification_ui = false;  // registration hook show_verification_ui
};

struct SelfServiceDeps {
  FlowRepository& flows;
  SessionService& sessions;
  IdentityService& identities;
  const SchemaRegistry& schemas;
  domain::identity::PasswordHasher& hasher;
  domain::password::BreachCheck& breaches;
  domain::throttle::LoginThrottle& login_throttle;
  domain::throttle::ClientLimiter& client_limiter;
  domain::ProjectionReader& reads;
  domain::RandomSource& random;
  domain::Clock& clock;
  domain::IdGenerator& ids;
  CourierService& courier;
  domain::KeyedHasher& codes;  // codes and link tokens are kept as keyed hashes
};

class SelfService {
 public:
  // `dummy_hash`: a hash of the configured algorithm, verified against when
  // the identifier is unknown so that answers take the same time.
  SelfService(SelfServiceConfig config, SelfServiceDeps deps, std::string dummy_hash);

  void AddPublicRoutes(Router& router);
  void AddAdminRoutes(Router& router);

  // Per-request state shared by the handlers.
  struct Call {
    Call(const httplib::Request& r, httplib::Response& s, RequestContext& c)
        : req(r), res(s), ctx(c) {}
    const httplib::Request& req;
    httplib::Response& res;
    RequestContext& ctx;
    bool json_answer = false;  // SPA or native: JSON instead of redirects
    bool api = false;          // the flow (or request) is native
    std::string masked_csrf;   // for browser flows: the token rendered this time
    std::string csrf_raw;      // the anti-CSRF token of this request (cookie or new)
    std::string client;        // the client address
    std::optional<std::optional<AuthenticatedSession>> session;  // cached lookup
  };

 private:
  // Flows
  void InitFlow(const std::string& kind, bool api, Call& call);
  void GetFlow(const std::string& kind, Call& call);
  void SubmitFlow(const std::string& kind, Call& call);
  void SubmitLogin(domain::flow::Flow& flow, const nlohmann::json& body, Call& call);
  void SubmitRegistration(domain::flow::Flow& flow, const nlohmann::json& body, Call& call);
  // `replaces`: the expired flow this one stands in for (its request URL is
  // kept and the new flow says why it was made).
  Result<domain::flow::Flow> CreateFlow(const std::string& kind, bool api, Call& call,
                                        const std::string& return_to, bool refresh,
                                        const domain::flow::Flow* replaces = nullptr,
                                        const nlohmann::json& messages = nullptr,
                                        const std::string& id = "");
  nlohmann::ordered_json RenderFlow(const domain::flow::Flow& flow, Call& call);
  void AnswerFlow(const domain::flow::Flow& flow, int status, Call& call);
  void FailFlow(domain::flow::Flow& flow, const std::string& method, nlohmann::json messages,
                nlohmann::json node_messages, nlohmann::json values,
                const std::string& identity_id, Call& call);
  void AnswerExpired(const domain::flow::Flow& flow, Call& call);
  void FailFlowMessage(domain::flow::Flow& flow, int64_t id, Call& call);
  void AnswerError(int status, const std::string& id, const std::string& reason,
                   const std::string& message, Call& call, nlohmann::json details = nullptr);
  void AnswerSuccess(const domain::flow::Flow& flow, const std::string& return_url,
                     const nlohmann::json& identity, const IssuedSession* issued,
                     bool registration, Call& call,
                     const nlohmann::json& verification = nlohmann::json::array());
  std::string UiUrl(const std::string& kind) const;
  std::string ReturnUrl(const domain::flow::Flow& flow, const std::string& after) const;
  bool ReturnToAllowed(const std::string& url) const;
  std::optional<AuthenticatedSession> CurrentSession(Call& call);
  void SetSessionCookie(const IssuedSession& issued, Call& call);
  void ClearSessionCookie(Call& call);
  std::string EnsureCsrfCookie(Call& call);
  bool ThrottleClient(Call& call);
  domain::session::Device DeviceOf(Call& call) const;
  Call MakeCall(const httplib::Request& req, httplib::Response& res, RequestContext& ctx) const;
  // A route handler that runs `method` with the request's Call.
  Handler Bind(void (SelfService::*method)(Call&));

  // Verification and recovery (code_flows.cc)
  void SubmitCodeFlow(domain::flow::Flow& flow, const nlohmann::json& body, Call& call);
  void LinkClick(const std::string& kind, Call& call);
  void UseCode(domain::flow::Flow& flow, const std::string& code, bool link, Call& call);
  // Sends (or, for an unknown address, pretends to send) a code or link for
  // `flow` to `email`, and records flow.code_sent.
  Result<domain::flow::Flow> SendCode(const domain::flow::Flow& flow, const std::string& method,
                                      const std::string& email, Call& call);
  void RenderCodeNodes(const domain::flow::Flow& flow, const std::string& masked,
                       std::vector<nlohmann::ordered_json>& nodes, nlohmann::ordered_json& container,
                       nlohmann::ordered_json& messages);
  // A fresh flow of the same kind carrying `message`, answered as Kratos's
  // retry: browsers get a 303 to the UI; JSON clients get `error` (default:
  // 410 self_service_flow_replaced) with use_flow_id, or for recovery flows
  // with continue_with transitions the error with show_recovery_ui, or
  // without them a 303 to the new flow's JSON.
  void RetryCodeFlow(const domain::flow::Flow& old, const nlohmann::json& message, Call& call,
                     std::optional<ApiError> error = std::nullopt,
                     const nlohmann::json& extra_body = nlohmann::json::object());
  void RetryCodeFlow(const std::string& kind, bool api, const std::string& return_to,
                     const nlohmann::json& message, Call& call,
                     std::optional<ApiError> error = std::nullopt,
                     const nlohmann::json& extra_body = nlohmann::json::object());
  // The code matched but its lifespan is over (Kratos: 4070005 / 4060005).
  void RetryExpiredCode(const domain::flow::Flow& old, Call& call);
  void AnswerRecovered(domain::flow::Flow& flow, const std::string& identity_id,
                       const std::string& method, Call& call);
  std::string ContinueUrl(const domain::flow::Flow& flow) const;
  // After a registration: a verification flow and mail per unverified address;
  // the continue_with items (show_verification_ui) it yields.
  nlohmann::json StartVerificationAfterRegistration(const nlohmann::json& identity, Call& call);
  void AdminRecovery(bool link, Call& call);
  std::string NewCode(bool link);
  std::string CodeHash(const std::string& flow_id, const std::string& code) const;

  // Logout and sessions
  void LogoutBrowserFlow(Call& call);
  void LogoutBrowser(Call& call);
  void LogoutApi(Call& call);
  void Whoami(Call& call);
  void GetError(Call& call);
  void GetSettingsFlow(Call& call);

  SelfServiceConfig config_;
  SelfServiceDeps deps_;
  std::string dummy_hash_;
  std::string csrf_cookie_name_;
  std::vector<domain::throttle::Cidr> trusted_proxies_;
};

}  // namespace mneme::api
