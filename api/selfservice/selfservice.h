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
                                        const domain::flow::Flow* replaces = nullptr);
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
                     bool registration, Call& call);
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

  // Logout and sessions
  void LogoutBrowserFlow(Call& call);
  void LogoutBrowser(Call& call);
  void LogoutApi(Call& call);
  void Whoami(Call& call);
  void GetError(Call& call);

  SelfServiceConfig config_;
  SelfServiceDeps deps_;
  std::string dummy_hash_;
  std::string csrf_cookie_name_;
  std::vector<domain::throttle::Cidr> trusted_proxies_;
};

}  // namespace mneme::api
