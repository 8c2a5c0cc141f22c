// Logout, whoami, the caller's sessions, and the admin session endpoints.
#include "api/http/errors.h"
#include "api/http/json_body.h"
#include "api/http/pagination.h"
#include "api/selfservice/csrf.h"
#include "api/selfservice/selfservice.h"

namespace mneme::api {

using nlohmann::json;

namespace {

void NoSession(httplib::Response& res) {
  ApiError e;
  e.status = 401;
  e.reason = "No valid session credentials found in the request.";
  e.message = "The request could not be authorized";
  WriteError(res, e);
}

void SessionError(httplib::Response& res, const Error& error) {
  if (error.code() == Code::kUnauthenticated) {
    return NoSession(res);
  }
  if (error.code() == Code::kPermissionDenied) {
    ApiError e;
    e.status = 401;
    e.reason = "This account was disabled.";
    e.message = "identity is disabled";
    return WriteError(res, e);
  }
  WriteError(res, error);
}

std::optional<bool> ActiveFilter(const httplib::Request& req) {
  if (!req.has_param("active")) {
    return std::nullopt;
  }
  return req.get_param_value("active") == "true";
}

}  // namespace

SelfService::Call SelfService::MakeCall(const httplib::Request& req, httplib::Response& res,
                                        RequestContext& ctx) const {
  Call call{req, res, ctx};
  // Only the self-service flows answer browsers with redirects.
  call.json_answer = req.path.rfind("/self-service/", 0) != 0;
  // Every X-Forwarded-For header, in order, as one list.
  std::string forwarded;
  auto range = req.headers.equal_range("X-Forwarded-For");
  for (auto it = range.first; it != range.second; ++it) {
    forwarded += (forwarded.empty() ? "" : ",") + it->second;
  }
  call.client = domain::throttle::ClientAddress(req.remote_addr, forwarded, trusted_proxies_);
  return call;
}

void SelfService::Whoami(Call& call) {
  std::string token = call.req.get_header_value("X-Session-Token");
  if (token.empty()) {
    token = RequestCookie(call.req, config_.cookies.session_name).value_or("");
  }
  if (token.empty()) {
    const std::string auth = call.req.get_header_value("Authorization");
    if (auth.size() > 7 && auth.rfind("Bearer ", 0) == 0) {
      token = auth.substr(7);
    }
  }
  auto s = deps_.sessions.Whoami(token);
  if (!s) {
    // Kratos's whoami does not say why (a disabled identity included).
    if (s.error().code() == Code::kPermissionDenied) {
      return NoSession(call.res);
    }
    return SessionError(call.res, s.error());
  }
  call.res.set_header("X-Kratos-Authenticated-Identity-Id", s->identity_id);
  call.res.status = 200;
  call.res.set_content(std::move(s->body), "application/json; charset=utf-8");
}

void SelfService::LogoutBrowserFlow(Call& call) {
  call.json_answer = true;
  auto s = CurrentSession(call);
  if (!s) {
    return AnswerError(401, "session_inactive", "No active session was found in this request.",
                       "request does not have a valid authentication session", call);
  }
  // The logout token is not kept in clear: issue the URL with a token derived
  // for this session (its hash is stored with the session).
  const std::string return_to = call.req.get_param_value("return_to");
  if (!return_to.empty() && !ReturnToAllowed(return_to)) {
    return AnswerError(400, "self_service_flow_return_to_forbidden",
                       "Requested return_to URL \"" + return_to + "\" is not allowed.",
                       "return_to is not allowed", call);
  }
  std::string session_token = call.req.get_header_value("X-Session-Token");
  if (session_token.empty()) {
    session_token = RequestCookie(call.req, config_.cookies.session_name).value_or("");
  }
  const std::string token = deps_.sessions.LogoutTokenFor(session_token);
  std::string url = config_.public_base_url + "/self-service/logout?token=" + token;
  if (!return_to.empty()) {
    url += "&return_to=" + httplib::detail::encode_query_param(return_to);
  }
  WriteJson(call.res, 200, json{{"logout_url", url}, {"logout_token", token}});
}

void SelfService::LogoutBrowser(Call& call) {
  call.json_answer = AcceptsJson(call.req);
  const std::string return_to = call.req.get_param_value("return_to");
  if (!return_to.empty() && !ReturnToAllowed(return_to)) {
    return AnswerError(400, "self_service_flow_return_to_forbidden",
                       "Requested return_to URL \"" + return_to + "\" is not allowed.",
                       "return_to is not allowed", call);
  }
  if (call.req.get_param_value("token").empty()) {
    return AnswerError(400, "", "Please include a token in the URL query.", "", call);
  }
  auto sid = deps_.sessions.SessionOfLogoutToken(call.req.get_param_value("token"));
  if (!sid) {
    return AnswerError(403, "", "Unable to log out because the logout token in the URL query does not match the session cookie.",
                       "The request could not be authorized", call);
  }
  auto revoked = deps_.sessions.Revoke(*sid, "logout", "anonymous", call.ctx.request_id);
  if (!revoked) {
    return WriteError(call.res, revoked.error());
  }
  ClearSessionCookie(call);
  if (call.json_answer) {
    call.res.status = 204;
    return;
  }
  std::string target = return_to;
  if (target.empty()) {
    target = config_.logout_return_url.empty() ? config_.default_return_url : config_.logout_return_url;
  }
  call.res.set_redirect(target, 303);
}

void SelfService::LogoutApi(Call& call) {
  call.json_answer = true;
  auto body = ParseJsonBody(call.req);
  if (!body) {
    return WriteBodyError(call.res, body.error());
  }
  const std::string token = body->is_object() && (*body).contains("session_token") &&
                                    (*body)["session_token"].is_string()
                                ? (*body)["session_token"].get<std::string>()
                                : "";
  if (token.empty()) {
    return AnswerError(400, "", "The session_token is missing from the request body.", "", call);
  }
  auto s = deps_.sessions.Authenticate(token);
  if (!s) {
    if (s.error().code() == Code::kUnauthenticated || s.error().code() == Code::kPermissionDenied) {
      return AnswerError(403, "", "The provided Ory Session Token could not be found, is invalid, or otherwise malformed.",
                         "The requested action was forbidden", call);
    }
    return WriteError(call.res, s.error());
  }
  auto revoked = deps_.sessions.Revoke(s->session.id, "logout", s->identity.id, call.ctx.request_id);
  if (!revoked) {
    return WriteError(call.res, revoked.error());
  }
  call.res.status = 204;
}

Handler SelfService::Bind(void (SelfService::*method)(Call&)) {
  return [this, method](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
    auto call = MakeCall(req, res, ctx);
    (this->*method)(call);
  };
}

void SelfService::AddPublicRoutes(Router& router) {
  for (const std::string kind : {"login", "registration", "verification", "recovery"}) {
    router.Add("GET", "/self-service/" + kind + "/browser",
               [this, kind](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
                 auto call = MakeCall(req, res, ctx);
                 InitFlow(kind, false, call);
               });
    router.Add("GET", "/self-service/" + kind + "/api",
               [this, kind](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
                 auto call = MakeCall(req, res, ctx);
                 InitFlow(kind, true, call);
               });
    router.Add("GET", "/self-service/" + kind + "/flows",
               [this, kind](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
                 auto call = MakeCall(req, res, ctx);
                 GetFlow(kind, call);
               });
    router.Add("POST", "/self-service/" + kind,
               [this, kind](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
                 auto call = MakeCall(req, res, ctx);
                 SubmitFlow(kind, call);
               });
  }
  for (const std::string kind : {"verification", "recovery"}) {
    // The links in Kratos's mails (token, or a code to fill in).
    router.Add("GET", "/self-service/" + kind,
               [this, kind](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
                 auto call = MakeCall(req, res, ctx);
                 LinkClick(kind, call);
               });
  }
  router.Add("GET", "/self-service/settings/flows", Bind(&SelfService::GetSettingsFlow));
  router.Add("GET", "/self-service/logout/browser",
             Bind(&SelfService::LogoutBrowserFlow));
  router.Add("GET", "/self-service/logout",
             Bind(&SelfService::LogoutBrowser));
  router.Add("DELETE", "/self-service/logout/api",
             Bind(&SelfService::LogoutApi));
  router.Add("GET", "/self-service/errors",
             Bind(&SelfService::GetError));
  for (const char* method : {"GET", "HEAD", "POST", "PUT", "PATCH", "OPTIONS"}) {
    router.Add(method, "/sessions/whoami",
               Bind(&SelfService::Whoami));
  }
  router.Add("GET", "/sessions",
             [this](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
               auto call = MakeCall(req, res, ctx);
               auto s = CurrentSession(call);
               if (!s) {
                 return NoSession(res);
               }
               auto all = deps_.sessions.OfIdentity(s->identity.id, true);
               if (!all) {
                 return WriteError(res, all.error());
               }
               json out = json::array();
               for (const auto& other : *all) {
                 if (other.id != s->session.id) {
                   out.push_back(deps_.sessions.Render(other, &s->identity, true));
                 }
               }
               res.set_header("X-Total-Count", std::to_string(out.size()));
               WriteJson(res, 200, out);
             });
  router.Add("DELETE", "/sessions",
             [this](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
               auto call = MakeCall(req, res, ctx);
               auto s = CurrentSession(call);
               if (!s) {
                 return NoSession(res);
               }
               auto count = deps_.sessions.RevokeAllOf(s->identity.id, s->session.id, "self",
                                                       s->identity.id, ctx.request_id);
               if (!count) {
                 return WriteError(res, count.error());
               }
               WriteJson(res, 200, json{{"count", *count}});
             });
  router.Add("DELETE", "/sessions/{id}",
             [this](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
               auto call = MakeCall(req, res, ctx);
               auto s = CurrentSession(call);
               if (!s) {
                 return NoSession(res);
               }
               const std::string id = ctx.params["id"];
               auto target = deps_.sessions.Get(id);
               // Another identity's session is indistinguishable from none.
               if (!target || target->identity_id != s->identity.id || id == s->session.id) {
                 if (id == s->session.id) {
                   return AnswerError(400, "", "", "cannot revoke current session", call);
                 }
                 return WriteError(res, NotFoundError());
               }
               auto revoked = deps_.sessions.Revoke(id, "self", s->identity.id, ctx.request_id);
               if (!revoked) {
                 return WriteError(res, revoked.error());
               }
               res.status = 204;
             });
}

void SelfService::AddAdminRoutes(Router& router) {
  router.Add("POST", "/admin/recovery/code",
             [this](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
               auto call = MakeCall(req, res, ctx);
               call.json_answer = true;
               AdminRecovery(false, call);
             });
  router.Add("POST", "/admin/recovery/link",
             [this](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
               auto call = MakeCall(req, res, ctx);
               call.json_answer = true;
               AdminRecovery(true, call);
             });
  auto expand = [](const httplib::Request& req, const std::string& what) {
    for (size_t i = 0; i < req.get_param_value_count("expand"); ++i) {
      if (req.get_param_value("expand", i) == what) {
        return true;
      }
    }
    return false;
  };
  router.Add("GET", "/admin/sessions",
             [this, expand](const httplib::Request& req, httplib::Response& res, RequestContext&) {
               auto page = ParsePageRequest(req, 250, 1000);
               if (!page) {
                 return WriteError(res, page.error());
               }
               auto result = deps_.sessions.List(page->size, page->token, ActiveFilter(req));
               if (!result) {
                 return WriteError(res, result.error());
               }
               json out = json::array();
               for (const auto& s : result->sessions) {
                 std::optional<domain::identity::Identity> identity;
                 if (expand(req, "identity")) {
                   if (auto i = deps_.identities.Get(s.identity_id)) {
                     identity = std::move(*i);
                   }
                 }
                 out.push_back(deps_.sessions.Render(s, identity ? &*identity : nullptr,
                                                     expand(req, "devices")));
               }
               SetLinkHeader(res, "/admin/sessions", page->size, result->next_after);
               WriteJson(res, 200, out);
             });
  router.Add("GET", "/admin/sessions/{id}",
             [this, expand](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
               auto s = deps_.sessions.Get(ctx.params["id"]);
               if (!s) {
                 return WriteError(res, s.error());
               }
               std::optional<domain::identity::Identity> identity;
               if (expand(req, "identity")) {
                 if (auto i = deps_.identities.Get(s->identity_id)) {
                   identity = std::move(*i);
                 }
               }
               WriteJson(res, 200, deps_.sessions.Render(*s, identity ? &*identity : nullptr,
                                                         expand(req, "devices")));
             });
  router.Add("DELETE", "/admin/sessions/{id}",
             [this](const httplib::Request&, httplib::Response& res, RequestContext& ctx) {
               auto revoked = deps_.sessions.Revoke(ctx.params["id"], "admin", "admin", ctx.request_id);
               if (!revoked) {
                 return WriteError(res, revoked.error());
               }
               res.status = 204;
             });
  router.Add("PATCH", "/admin/sessions/{id}/extend",
             [this](const httplib::Request&, httplib::Response& res, RequestContext& ctx) {
               auto s = deps_.sessions.Extend(ctx.params["id"], ctx.request_id);
               if (!s) {
                 return WriteError(res, s.error());
               }
               WriteJson(res, 200, deps_.sessions.Render(*s, nullptr, true));
             });
  router.Add("GET", "/admin/identities/{id}/sessions",
             [this](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
               const std::string id = ctx.params["id"];
               auto identity = deps_.identities.Get(id);
               if (!identity) {
                 return WriteError(res, identity.error());
               }
               auto all = deps_.sessions.OfIdentity(id, ActiveFilter(req));
               if (!all) {
                 return WriteError(res, all.error());
               }
               json out = json::array();
               for (const auto& s : *all) {
                 out.push_back(deps_.sessions.Render(s, nullptr, true));
               }
               WriteJson(res, 200, out);
             });
  router.Add("DELETE", "/admin/identities/{id}/sessions",
             [this](const httplib::Request&, httplib::Response& res, RequestContext& ctx) {
               const std::string id = ctx.params["id"];
               auto identity = deps_.identities.Get(id);
               if (!identity) {
                 return WriteError(res, identity.error());
               }
               auto count = deps_.sessions.RevokeAllOf(id, "", "admin", "admin", ctx.request_id);
               if (!count) {
                 return WriteError(res, count.error());
               }
               res.status = 204;
             });
}

}  // namespace mneme::api
