#include "api/selfservice/selfservice.h"

#include <algorithm>

#include "api/http/errors.h"
#include "api/http/json_body.h"
#include "api/selfservice/csrf.h"
#include "api/selfservice/ui_nodes.h"
#include "domain/common/time.h"
#include "domain/common/uuid.h"
#include "domain/throttle/client_address.h"
#include "infra/crypto/aead.h"

namespace mneme::api {

using domain::flow::Flow;
using nlohmann::json;
using ojson = nlohmann::ordered_json;


namespace {

}  // namespace

bool AcceptsJson(const httplib::Request& req) {
  const std::string accept = req.get_header_value("Accept");
  const std::string type = req.get_header_value("Content-Type");
  return accept.find("application/json") != std::string::npos ||
         type.rfind("application/json", 0) == 0;
}

namespace {

std::string StripSlash(std::string s) {
  while (!s.empty() && s.back() == '/') {
    s.pop_back();
  }
  return s;
}

std::string WithQuery(const std::string& url, const std::string& key, const std::string& value) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + key + "=" +
         httplib::detail::encode_query_param(value);
}

// scheme://host[:port] and path of a URL.
struct UrlParts {
  std::string scheme, host, path;
};
std::optional<UrlParts> SplitUrl(const std::string& url) {
  const size_t colon = url.find("://");
  if (colon == std::string::npos || colon == 0) {
    return std::nullopt;
  }
  UrlParts p;
  p.scheme = url.substr(0, colon);
  std::transform(p.scheme.begin(), p.scheme.end(), p.scheme.begin(), ::tolower);
  const size_t host_start = colon + 3;
  const size_t path_start = url.find_first_of("/?#", host_start);
  p.host = url.substr(host_start, path_start == std::string::npos ? std::string::npos
                                                                  : path_start - host_start);
  std::transform(p.host.begin(), p.host.end(), p.host.begin(), ::tolower);
  if (p.host.empty() || p.host.find('@') != std::string::npos) {
    return std::nullopt;
  }
  if (path_start != std::string::npos && url[path_start] == '/') {
    const size_t end = url.find_first_of("?#", path_start);
    p.path = url.substr(path_start, end == std::string::npos ? std::string::npos : end - path_start);
  }
  return p;
}

std::string SessionTokenOf(const httplib::Request& req) {
  std::string token = req.get_header_value("X-Session-Token");
  if (token.empty()) {
    const std::string auth = req.get_header_value("Authorization");
    if (auth.size() > 7 && (auth.rfind("Bearer ", 0) == 0 || auth.rfind("bearer ", 0) == 0)) {
      token = auth.substr(7);
    }
  }
  return token;
}

std::string HttpDate(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

// Kratos v1.3.1 sends these details with every CSRF failure (herodot shares
// one details map between its CSRF errors), whatever the actual reason.
json CsrfDetails() {
  return {{"docs", "https://www.ory.sh/kratos/docs/debug/csrf"},
          {"hint", "The anti-CSRF cookie was found but the CSRF token was not included in the HTTP request body (csrf_token) nor in the HTTP Header (X-CSRF-Token)."},
          {"reject_reason", "The HTTP Cookie Header was set and a CSRF token was sent but they do not match. We recommend deleting all cookies for this domain and retrying the flow."}};
}

bool ConstantTimeHashEquals(const std::string& a, const std::string& b) {
  return !a.empty() && infra::crypto::ConstantTimeEquals(a, b);
}

// The JSON type a trait leaf wants ("number", "integer", "boolean", ...).
std::string TraitType(const ojson& schema, const std::string& dotted) {
  const ojson* cur = &schema;
  size_t start = 0;
  while (true) {
    if (!cur->is_object() || !cur->contains("properties")) {
      return "";
    }
    const size_t dot = dotted.find('.', start);
    const std::string part = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const auto& props = (*cur)["properties"];
    if (!props.is_object() || !props.contains(part)) {
      return "";
    }
    cur = &props[part];
    if (dot == std::string::npos) {
      return cur->is_object() ? cur->value("type", "") : "";
    }
    start = dot + 1;
  }
}

// A form body as the JSON body it stands for: dotted names nest
// ("traits.name.first"), trait values take their schema type.
json FormToJson(const httplib::Params& params, const ojson& schema) {
  json out = json::object();
  for (const auto& [name, value] : params) {
    json* cur = &out;
    size_t start = 0;
    std::string leaf = name;
    if (name.rfind("traits.", 0) == 0 || name.rfind("transient_payload.", 0) == 0) {
      size_t dot;
      while ((dot = name.find('.', start)) != std::string::npos) {
        json& next = (*cur)[name.substr(start, dot - start)];
        if (!next.is_object()) {
          next = json::object();
        }
        cur = &next;
        start = dot + 1;
      }
      leaf = name.substr(start);
    }
    json v = value;
    if (name.rfind("traits.", 0) == 0) {
      const std::string t = TraitType(schema, name);
      if (t == "boolean") {
        v = value == "true" || value == "on" || value == "1";
      } else if (t == "integer" || t == "number") {
        json n = json::parse(value, nullptr, false);
        if (n.is_number()) {
          v = n;
        }
      }
    }
    (*cur)[leaf] = v;
  }
  return out;
}

}  // namespace

SelfService::SelfService(SelfServiceConfig config, SelfServiceDeps deps, std::string dummy_hash)
    : config_(std::move(config)), deps_(deps), dummy_hash_(std::move(dummy_hash)) {
  config_.public_base_url = StripSlash(config_.public_base_url);
  csrf_cookie_name_ = CsrfCookieName(config_.public_base_url + "/");
  for (const auto& cidr : config_.trusted_proxies) {
    if (auto parsed = domain::throttle::Cidr::Parse(cidr)) {
      trusted_proxies_.push_back(*parsed);  // checked when the config was loaded
    }
  }
}

std::string SelfService::UiUrl(const std::string& kind) const {
  if (kind == "verification") {
    return config_.verification_ui_url;
  }
  if (kind == "recovery") {
    return config_.recovery_ui_url;
  }
  if (kind == "settings") {
    return config_.settings_ui_url;
  }
  return kind == "login" ? config_.login_ui_url : config_.registration_ui_url;
}

bool SelfService::ReturnToAllowed(const std::string& url) const {
  auto target = SplitUrl(url);
  if (!target) {
    return false;
  }
  std::vector<std::string> allowed = config_.allowed_return_urls;
  allowed.push_back(config_.public_base_url + "/self-service");
  for (const auto& a : allowed) {
    auto rule = SplitUrl(a);
    if (!rule || rule->scheme != target->scheme) {
      continue;
    }
    bool host_ok = rule->host == target->host;
    if (!host_ok && rule->host.rfind("*.", 0) == 0) {
      const std::string suffix = rule->host.substr(1);  // ".example.com"
      host_ok = target->host.size() > suffix.size() &&
                target->host.compare(target->host.size() - suffix.size(), suffix.size(),
                                     suffix) == 0;
    }
    if (host_ok && target->path.rfind(rule->path, 0) == 0) {
      return true;
    }
  }
  return false;
}

std::string SelfService::ReturnUrl(const Flow& flow, const std::string& after) const {
  if (!flow.return_to.empty()) {
    return flow.return_to;
  }
  return after.empty() ? config_.default_return_url : after;
}

bool SelfService::ThrottleClient(Call& call) {
  if (!config_.throttle_enabled) {
    return true;
  }
  auto d = deps_.client_limiter.Take(domain::throttle::RateLimitKey(call.client));
  if (d.allowed) {
    return true;
  }
  call.res.set_header("Retry-After", std::to_string(d.retry_after.count()));
  AnswerError(429, "rate_limit_exceeded",
              "Too many requests from this client. Retry after " +
                  std::to_string(d.retry_after.count()) + " seconds.",
              "too many requests", call);
  return false;
}

void SelfService::AnswerError(int status, const std::string& id, const std::string& reason,
                              const std::string& message, Call& call, json details) {
  ApiError e;
  e.status = status;
  e.id = id;
  e.reason = reason;
  e.message = message.empty() ? DefaultMessage(status) : message;
  if (!details.is_null()) {
    e.details = std::move(details);
  }
  if (!call.json_answer && !config_.error_ui_url.empty() && status >= 400 && status != 429) {
    // Browser: Kratos stores the error and sends the user to the error UI. The
    // stored error is served by /self-service/errors?id=.
    json stored = ErrorBody(e)["error"];
    auto recorded = deps_.flows.RecordError(deps_.ids.NewUuid(), stored, call.ctx.request_id);
    if (recorded) {
      call.res.set_redirect(WithQuery(config_.error_ui_url, "id", *recorded), 303);
      return;
    }
  }
  WriteError(call.res, e);
}

void SelfService::GetError(Call& call) {
  const std::string id = call.req.get_param_value("id");
  if (id.rfind("stub:", 0) == 0) {
    // Kratos's stub errors, for UI development.
    int code = std::atoi(id.substr(5).c_str());
    if (code < 400 || code > 599) {
      code = 500;
    }
    ApiError e;
    e.status = code;
    e.reason = "This is a stub error.";
    e.message = DefaultMessage(code);
    const auto now = FormatRfc3339(deps_.clock.Now());
    WriteJson(call.res, 200, json{{"id", id}, {"error", ErrorBody(e)["error"]},
                                  {"created_at", now}, {"updated_at", now}});
    return;
  }
  if (!common::IsUuid(id)) {
    return WriteError(call.res, NotFoundError());
  }
  auto stored = deps_.flows.LoadError(id);
  if (!stored) {
    return WriteError(call.res, stored.error());
  }
  const auto at = FormatRfc3339(stored->at);
  WriteJson(call.res, 200, json{{"id", id}, {"error", stored->error}, {"created_at", at}, {"updated_at", at}});
}


std::string SelfService::EnsureCsrfCookie(Call& call) {
  if (!call.csrf_raw.empty()) {
    return call.csrf_raw;
  }
  std::optional<std::string> raw;
  if (auto cookie = RequestCookie(call.req, csrf_cookie_name_)) {
    raw = DecodeCsrfCookie(*cookie);
  }
  if (!raw) {
    raw = NewCsrfToken(deps_.random);
    std::string cookie = csrf_cookie_name_ + "=" + EncodeCsrfCookie(*raw) + "; Path=" +
                         config_.cookies.path;
    if (!config_.cookies.domain.empty()) {
      cookie += "; Domain=" + config_.cookies.domain;
    }
    cookie += "; Max-Age=31536000; HttpOnly";
    if (config_.cookies.secure) {
      cookie += "; Secure";
    }
    cookie += "; SameSite=" + config_.cookies.same_site;
    call.res.set_header("Set-Cookie", cookie);
  }
  call.csrf_raw = *raw;
  return *raw;
}

void SelfService::SetSessionCookie(const IssuedSession& issued, Call& call) {
  std::string cookie = config_.cookies.session_name + "=" + issued.token + "; Path=" +
                       config_.cookies.path;
  if (!config_.cookies.domain.empty()) {
    cookie += "; Domain=" + config_.cookies.domain;
  }
  if (config_.cookies.persistent) {
    const int64_t left =
        (issued.session.expires_at.micros - deps_.clock.Now().micros) / 1000000;
    cookie += "; Expires=" + HttpDate(deps_.clock.Now().micros / 1000000 + std::max<int64_t>(left, 1)) +
              "; Max-Age=" + std::to_string(std::max<int64_t>(left, 1));
  }
  cookie += "; HttpOnly";
  if (config_.cookies.secure) {
    cookie += "; Secure";
  }
  cookie += "; SameSite=" + config_.cookies.same_site;
  call.res.set_header("Set-Cookie", cookie);
}

void SelfService::ClearSessionCookie(Call& call) {
  std::string cookie = config_.cookies.session_name + "=; Path=" + config_.cookies.path;
  if (!config_.cookies.domain.empty()) {
    cookie += "; Domain=" + config_.cookies.domain;
  }
  cookie += "; Expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0; HttpOnly";
  if (config_.cookies.secure) {
    cookie += "; Secure";
  }
  cookie += "; SameSite=" + config_.cookies.same_site;
  call.res.set_header("Set-Cookie", cookie);
}

std::optional<AuthenticatedSession> SelfService::CurrentSession(Call& call) {
  if (call.session) {
    return *call.session;
  }
  std::string token = SessionTokenOf(call.req);
  if (token.empty()) {
    token = RequestCookie(call.req, config_.cookies.session_name).value_or("");
  }
  std::optional<AuthenticatedSession> found;
  if (!token.empty()) {
    if (auto s = deps_.sessions.Authenticate(token)) {
      found = std::move(*s);
    }
  }
  call.session = found;
  return found;
}

Result<Flow> SelfService::CreateFlow(const std::string& kind, bool api, Call& call,
                                     const std::string& return_to, bool refresh,
                                     const Flow* replaces, const json& messages,
                                     const std::string& id) {
  const auto now = deps_.clock.Now();
  Flow blank;
  blank.id = id.empty() ? deps_.ids.NewUuid() : id;
  domain::flow::FlowCreated c;
  c.kind = kind;
  c.type = api ? "api" : "browser";
  c.request_url = config_.public_base_url + call.req.path;
  if (!call.req.params.empty()) {
    std::string query;
    for (const auto& [k, v] : call.req.params) {
      query += (query.empty() ? "?" : "&") + k + "=" + httplib::detail::encode_query_param(v);
    }
    c.request_url += query;
  }
  if (replaces) {
    c.request_url = replaces->request_url;
    const double minutes = static_cast<double>(now.micros - replaces->expires_at.micros) / 60e6;
    char text[160];
    std::snprintf(text, sizeof text, "The %s flow expired %.2f minutes ago, please try again.",
                  kind.c_str(), minutes);
    const int64_t expired_id = kind == "login"          ? 4010001
                               : kind == "verification" ? 4070005
                               : kind == "recovery"     ? 4060005
                                                        : 4040001;
    c.messages = json::array({{{"id", expired_id},
                               {"text", text},
                               {"type", "error"},
                               {"context",
                                {{"expired_at", FormatRfc3339(replaces->expires_at)},
                                 {"expired_at_unix", replaces->expires_at.micros / 1000000}}}}});
  }
  if (messages.is_array()) {
    c.messages = messages;
  }
  c.return_to = return_to;
  const int64_t lifespan = kind == "login"          ? config_.login_lifespan_micros
                           : kind == "verification" ? config_.verification_lifespan_micros
                           : kind == "recovery"     ? config_.recovery_lifespan_micros
                           : kind == "settings"     ? config_.settings_lifespan_micros
                                                    : config_.registration_lifespan_micros;
  c.expires_at = domain::Timestamp{now.micros + lifespan};
  c.refresh = refresh;
  if (refresh && kind == "login") {
    // Kratos: refresh without a session is no refresh; with one, the form
    // asks the signed-in identity to confirm its password.
    auto s = CurrentSession(call);
    c.refresh = s.has_value();
    if (s) {
      auto it = s->identity.credentials.find("password");
      if (it != s->identity.credentials.end() && !it->second.identifiers.empty()) {
        c.login_hint = it->second.identifiers.front();
      }
    }
  }
  if (!api) {
    c.csrf_hash = CsrfHash(EnsureCsrfCookie(call));
  }
  return deps_.flows.Execute(blank, domain::flow::CreateFlow{c}, "anonymous", call.ctx.request_id);
}

ojson SelfService::RenderFlow(const Flow& flow, Call& call) {
  const SchemaEntry* schema = deps_.schemas.Find(deps_.schemas.default_id());
  const ojson& doc = schema ? schema->ordered : ojson();
  std::string masked;
  if (flow.type == "browser") {
    if (call.masked_csrf.empty()) {
      call.masked_csrf = MaskCsrfToken(EnsureCsrfCookie(call), deps_.random);
    }
    masked = call.masked_csrf;
  }
  std::vector<ojson> nodes;
  ojson messages = ojson::parse(flow.messages.dump());
  ojson code_container = ojson::object();
  if (flow.kind == "verification" || flow.kind == "recovery" || flow.kind == "settings") {
    RenderCodeNodes(flow, masked, nodes, code_container, messages);
  } else if (flow.kind == "login") {
    nodes.push_back(ui::CsrfNode(masked));
    ui::Input ident;
    ident.name = "identifier";
    ident.value = "";
    ident.required = true;
    ident.label = ui::IdentifierLabel(doc);
    if (flow.refresh && !flow.login_hint.empty()) {
      // Kratos's PopulateLoginMethodFirstFactorRefresh.
      ident.type = "hidden";
      ident.value = flow.login_hint;
      ident.label = nullptr;
      if (messages.empty()) {
        messages.push_back(ui::Text(1010003, "Please confirm this action by verifying that it is you."));
      }
    }
    nodes.push_back(ui::InputNode(ident));
    nodes.push_back(ui::PasswordNode(false));
    nodes.push_back(ui::SubmitNode("password", "password",
                                   flow.refresh ? ui::Text(1010001, "Sign in")
                                                : ui::Text(1010022, "Sign in with password")));
    std::vector<std::string> keys = {"csrf_token", "identifier", "password"};
    for (const auto& k : ui::TraitKeys(doc)) {
      keys.push_back(k);
    }
    ui::SortNodes(nodes, {"oidc", "default", "webauthn", "passkey", "code", "password", "totp",
                          "lookup_secret"},
                  keys);
  } else {
    std::vector<std::string> keys = ui::TraitKeys(doc);
    keys.insert(keys.begin() + std::min<size_t>(1, keys.size()), "password");
    const std::vector<std::string> groups = {"oidc", "default", "webauthn", "passkey",
                                             "code", "password", "profile"};
    if (!config_.two_step_registration) {
      nodes = ui::TraitNodes(doc, "password");
      nodes.push_back(ui::CsrfNode(masked));
      nodes.push_back(ui::PasswordNode(true));
      nodes.push_back(ui::SubmitNode("password", "password", ui::Text(1040001, "Sign up")));
      ui::SortNodes(nodes, groups, keys);
      // Kratos's one-step order puts the csrf token first (password group sorts after default).
    } else if (flow.screen.empty()) {
      nodes = ui::TraitNodes(doc, "default");
      nodes.push_back(ui::CsrfNode(masked));
      nodes.push_back(ui::SubmitNode("profile", "profile", ui::Text(1040001, "Sign up")));
      ui::SortNodes(nodes, groups, keys);
    } else {
      // Step two: the accepted traits travel as hidden inputs; the password
      // method and a way back.
      // Step two (Kratos's displayStepTwoNodes, not re-sorted): the password
      // method, a way back, the accepted traits as hidden inputs, the token.
      nodes.push_back(ui::PasswordNode(true));
      nodes.push_back(ui::SubmitNode("password", "password", ui::Text(1040001, "Sign up")));
      ui::Input back;
      back.group = "profile";
      back.name = "screen";
      back.type = "submit";
      back.value = "previous";
      back.label = ui::Text(1040008, "Back");
      nodes.push_back(ui::InputNode(back));
      for (const auto& [name, value] : flow.values.items()) {
        ui::Input hidden;
        hidden.name = name;
        hidden.type = "hidden";
        hidden.value = ojson::parse(value.dump());
        nodes.push_back(ui::InputNode(hidden));
      }
      if (flow.type == "browser") {
        nodes.push_back(ui::CsrfNode(masked));
      }
      if (messages.empty()) {
        messages.push_back(ui::Text(1040009, "Please choose a credential to authenticate yourself with."));
      }
    }
  }
  if (code_container.empty()) {
    ui::FillValues(nodes, flow.values);
  }
  const size_t shown = nodes.size();
  ui::AddNodeMessages(nodes, flow.node_messages);
  if (nodes.size() != shown && flow.kind == "registration" && flow.screen.empty()) {
    std::vector<std::string> keys = ui::TraitKeys(doc);
    keys.insert(keys.begin() + std::min<size_t>(1, keys.size()), "password");
    ui::SortNodes(nodes, {"oidc", "default", "webauthn", "passkey", "code", "password", "profile"},
                  keys);
  }

  ojson container = {{"action", code_container.value("action", config_.public_base_url +
                                                                    "/self-service/" + flow.kind +
                                                                    "?flow=" + flow.id)},
                     {"method", code_container.value("method", "POST")},
                     {"nodes", nodes}};
  if (!messages.empty()) {
    container["messages"] = messages;
  }
  ojson out = {{"id", flow.id},
               {"type", flow.type},
               {"expires_at", FormatRfc3339(flow.expires_at)},
               {"issued_at", FormatRfc3339(flow.issued_at)},
               {"request_url", flow.request_url}};
  if (!flow.return_to.empty()) {
    out["return_to"] = flow.return_to;
  }
  if (!flow.active.empty()) {
    out["active"] = flow.active;
  }
  out["ui"] = container;
  if (flow.kind == "login") {
    out["created_at"] = FormatRfc3339(flow.issued_at);
    out["updated_at"] = FormatRfc3339(flow.issued_at);
    out["refresh"] = flow.refresh;
    out["requested_aal"] = flow.requested_aal;
  }
  out["state"] = flow.state;
  if (flow.kind == "recovery" && !flow.continue_flow_id.empty()) {
    // Kratos's recovery flow carries continue_with only in the answer that
    // completes it; a later GET shows the flow without.
  }
  return out;
}

void SelfService::AnswerFlow(const Flow& flow, int status, Call& call) {
  if (!call.json_answer) {
    // Kratos answers failed registration forms with 302, everything else with 303.
    call.res.set_redirect(WithQuery(UiUrl(flow.kind), "flow", flow.id),
                          flow.kind == "registration" && status == 400 ? 302 : 303);
    return;
  }
  WriteOrdered(call.res, status, RenderFlow(flow, call));
}

void SelfService::FailFlow(Flow& flow, const std::string& method, json messages,
                           json node_messages, json values, const std::string& identity_id,
                           Call& call) {
  domain::flow::FlowFailed failed;
  failed.method = method;
  failed.messages = std::move(messages);
  failed.node_messages = std::move(node_messages);
  failed.values = std::move(values);
  failed.identity_id = identity_id;
  auto after = deps_.flows.Execute(flow, domain::flow::FailFlow{failed, deps_.clock.Now()},
                                   identity_id.empty() ? "anonymous" : identity_id,
                                   call.ctx.request_id);
  if (!after) {
    if (after.error().code() == Code::kDeadlineExceeded) {
      return AnswerExpired(flow, call);
    }
    if (after.error().code() == Code::kAborted || after.error().code() == Code::kFailedPrecondition) {
      return AnswerError(400, "", "The request was already completed successfully and can not be retried.",
                         "", call);
    }
    return WriteError(call.res, after.error());
  }
  flow = std::move(*after);
  AnswerFlow(flow, 400, call);
}

void SelfService::AnswerExpired(const Flow& flow, Call& call) {
  auto fresh = CreateFlow(flow.kind, flow.type == "api", call, flow.return_to, flow.refresh, &flow);
  if (!fresh) {
    return WriteError(call.res, fresh.error());
  }
  const auto now = deps_.clock.Now();
  const double minutes = static_cast<double>(now.micros - flow.expires_at.micros) / 60e6;
  char text[160];
  std::snprintf(text, sizeof text,
                "The self-service flow expired %.2f minutes ago, initialize a new one.", minutes);
  if (!call.json_answer) {
    call.res.set_redirect(WithQuery(UiUrl(flow.kind), "flow", fresh->id), 303);
    return;
  }
  ApiError e;
  e.status = 410;
  e.id = "self_service_flow_expired";
  e.reason = text;
  e.message = "self-service flow expired";
  json body = ErrorBody(e);
  body["use_flow_id"] = fresh->id;
  body["expired_at"] = FormatRfc3339(flow.expires_at);
  body["since"] = (now.micros - flow.expires_at.micros) * 1000;  // nanoseconds, as Go's Duration
  WriteJson(call.res, 410, body);
}

void SelfService::InitFlow(const std::string& kind, bool api, Call& call) {
  call.api = api;
  call.json_answer = api || AcceptsJson(call.req);
  if (kind == "registration" && !config_.registration_enabled) {
    return AnswerError(400, "self_service_flow_disabled", "Registration is not allowed because it was disabled.",
                       "registration flow disabled", call);
  }
  if (kind == "verification" && !config_.verification_enabled) {
    return AnswerError(400, "self_service_flow_disabled", "Verification is not allowed because it was disabled.",
                       "verification flow disabled", call);
  }
  if (kind == "recovery" && !config_.recovery_enabled) {
    return AnswerError(400, "self_service_flow_disabled", "Recovery is not allowed because it was disabled.",
                       "recovery flow disabled", call);
  }
  if (api && !config_.disable_api_flow_enforcement &&
      (!call.req.get_header_value("Origin").empty() || HasNonCloudflareCookie(call.req))) {
    return AnswerError(400, "",
                       !call.req.get_header_value("Origin").empty()
                           ? "The request contained an Origin header which is not allowed for API flows. Use a browser flow instead."
                           : "The request contained a Cookie header which is not allowed for API flows. Use a browser flow instead.",
                       "", call);
  }
  // Kratos: with no allow-list, return_to is not honoured at all.
  const std::string return_to =
      config_.allowed_return_urls.empty() ? "" : call.req.get_param_value("return_to");
  if (!return_to.empty() && !ReturnToAllowed(return_to)) {
    return AnswerError(400, "self_service_flow_return_to_forbidden",
                       "Requested return_to URL \"" + return_to + "\" is not allowed.",
                       "return_to is not allowed", call);
  }
  const bool refresh = call.req.get_param_value("refresh") == "true";
  if (auto s = kind == "verification" ? std::nullopt : CurrentSession(call);
      s && !(kind == "login" && refresh)) {
    if (!call.json_answer) {
      call.res.set_redirect(return_to.empty() ? config_.default_return_url : return_to, 303);
      return;
    }
    return AnswerError(400, "session_already_available",
                       kind == "login"
                           ? "A valid session was detected and thus login is not possible. Did you forget to set `?refresh=true`?"
                           : "A valid session was detected and thus " + kind + " is not possible.",
                       "you are already logged in", call);
  }
  auto flow = CreateFlow(kind, api, call, return_to, refresh);
  if (!flow) {
    return WriteError(call.res, flow.error());
  }
  if (!call.json_answer) {
    call.res.set_redirect(WithQuery(UiUrl(kind), "flow", flow->id), 303);
    return;
  }
  WriteOrdered(call.res, 200, RenderFlow(*flow, call));
}

void SelfService::GetFlow(const std::string& kind, Call& call) {
  call.json_answer = true;
  auto flow = deps_.flows.Load(call.req.get_param_value("id"));
  if (!flow || flow->kind != kind) {
    if (!flow && flow.error().code() != Code::kNotFound) {
      return WriteError(call.res, flow.error());
    }
    return AnswerError(404, "", "The requested resource could not be found", "", call);
  }
  if (flow->type == "browser" && !flow->skip_csrf) {
    auto cookie = RequestCookie(call.req, csrf_cookie_name_);
    auto raw = cookie ? DecodeCsrfCookie(*cookie) : std::nullopt;
    if (!raw || !ConstantTimeHashEquals(CsrfHash(*raw), flow->csrf_hash)) {
      return AnswerError(403, "security_csrf_violation",
                         "Please retry the flow and optionally clear your cookies. The request was rejected to protect you from Cross-Site-Request-Forgery (CSRF) which could cause account takeover, leaking personal information, and other serious security issues.",
                         "the request was rejected to protect you from Cross-Site-Request-Forgery",
                         call, CsrfDetails());
    }
  }
  if (!(deps_.clock.Now() < flow->expires_at)) {
    const std::string ui = UiUrl(kind);
    ApiError e;
    e.status = 410;
    e.id = "self_service_flow_expired";
    e.reason = "The self-service flow has expired";
    e.message = "self-service flow expired";
    e.details = flow->type == "api"
                    ? json{{"api", config_.public_base_url + "/self-service/" + kind + "/api"}}
                    : json{{"redirect_to", config_.public_base_url + "/self-service/" + kind + "/browser"}};
    return WriteError(call.res, e);
  }
  WriteOrdered(call.res, 200, RenderFlow(*flow, call));
}

void SelfService::SubmitFlow(const std::string& kind, Call& call) {
  call.json_answer = AcceptsJson(call.req);
  const std::string flow_id = call.req.get_param_value("flow");
  if (!common::IsUuid(flow_id)) {
    return AnswerError(400, "", "The flow query parameter is missing or malformed.", "", call);
  }
  auto flow = deps_.flows.Load(flow_id);
  if (!flow || flow->kind != kind) {
    call.json_answer = true;
    if (!flow && flow.error().code() != Code::kNotFound) {
      return WriteError(call.res, flow.error());
    }
    return AnswerError(404, "", "The requested resource could not be found", "", call);
  }
  call.api = flow->type == "api";
  call.json_answer = call.json_answer || call.api;
  if (!ThrottleClient(call)) {
    return;
  }
  // The body: JSON or a form.
  json body = json::object();
  const std::string type = call.req.get_header_value("Content-Type");
  if (type.rfind("application/json", 0) == 0) {
    auto parsed = ParseJsonBody(call.req);
    std::string reason;
    if (!parsed) {
      reason = parsed.error().reason;
    } else if (!parsed->is_object()) {
      reason = "The request body must be a JSON object.";
    }
    if (!reason.empty()) {
      // Kratos: an undecodable body is a 400 with the flow and message 4000001.
      return FailFlow(*flow, flow->active,
                      json::array({{{"id", 4000001}, {"text", reason}, {"type", "error"},
                                    {"context", {{"reason", reason}}}}}),
                      json::object(), flow->values, "", call);
    }
    body = std::move(*parsed);
  } else if (type.rfind("application/x-www-form-urlencoded", 0) == 0) {
    httplib::Params params;
    httplib::detail::parse_query_text(call.req.body, params);
    const SchemaEntry* schema = deps_.schemas.Find(deps_.schemas.default_id());
    body = FormToJson(params, schema ? schema->ordered : ojson());
  } else {
    return AnswerError(415, "", "Unsupported Media Type: expected application/json or application/x-www-form-urlencoded.",
                       "", call);
  }
  if (call.api) {
    if (!config_.disable_api_flow_enforcement &&
        (!call.req.get_header_value("Origin").empty() || HasNonCloudflareCookie(call.req))) {
      return AnswerError(400, "",
                         "The request contained an Origin or Cookie header which is not allowed for API flows. Use a browser flow instead.",
                         "", call);
    }
  } else if (!flow->skip_csrf) {
    auto cookie = RequestCookie(call.req, csrf_cookie_name_);
    auto raw = cookie ? DecodeCsrfCookie(*cookie) : std::nullopt;
    const std::string sent = body.contains("csrf_token") && body["csrf_token"].is_string()
                                 ? body["csrf_token"].get<std::string>()
                                 : call.req.get_header_value("X-CSRF-Token");
    auto unmasked = UnmaskCsrfToken(sent);
    std::string reject;
    if (!cookie) {
      reject = "The HTTP Cookie Header was set but did not include the anti-CSRF cookie. We recommend deleting all cookies for this domain and retrying the flow.";
    } else if (sent.empty()) {
      reject = "The anti-CSRF cookie was found but the CSRF token was not included in the HTTP request body (csrf_token) nor in the HTTP Header (X-CSRF-Token).";
    } else if (!raw || !unmasked || !ConstantTimeHashEquals(CsrfHash(*raw), CsrfHash(*unmasked)) ||
               !ConstantTimeHashEquals(CsrfHash(*raw), flow->csrf_hash)) {
      reject = "The HTTP Cookie Header was set and a CSRF token was sent but they do not match. We recommend deleting all cookies for this domain and retrying the flow.";
    }
    if (!reject.empty()) {
      call.json_answer = true;  // Kratos answers CSRF failures with the error itself
      return AnswerError(403, "security_csrf_violation",
                         "Please retry the flow and optionally clear your cookies. The request was rejected to protect you from Cross-Site-Request-Forgery (CSRF) which could cause account takeover, leaking personal information, and other serious security issues.",
                         "the request was rejected to protect you from Cross-Site-Request-Forgery",
                         call, CsrfDetails());
    }
  }
  if (kind == "verification" || kind == "recovery") {
    if (!(deps_.clock.Now() < flow->expires_at)) {
      return AnswerExpired(*flow, call);
    }
    return SubmitCodeFlow(*flow, body, call);
  }
  if (flow->completed) {
    return FailFlowMessage(*flow, 4010007, call);
  }
  if (!(deps_.clock.Now() < flow->expires_at)) {
    return AnswerExpired(*flow, call);
  }
  if (auto s = CurrentSession(call); s && !(kind == "login" && flow->refresh)) {
    if (!call.json_answer) {
      call.res.set_redirect(ReturnUrl(*flow, ""), 303);
      return;
    }
    return AnswerError(400, "session_already_available",
                       "A valid session was detected and thus login is not possible. Did you forget to set `?refresh=true`?",
                       "you are already logged in", call);
  }
  if (kind == "login") {
    return SubmitLogin(*flow, body, call);
  }
  return SubmitRegistration(*flow, body, call);
}

void SelfService::FailFlowMessage(Flow& flow, int64_t id, Call& call) {
  static const std::map<int64_t, std::string> kTexts = {
      {4010007, "The request was already completed successfully and can not be retried."},
      {4010002, "Could not find a strategy to log you in with. Did you fill out the form correctly?"},
      {4010003, "Could not find a strategy to sign you up with. Did you fill out the form correctly?"},
  };
  if (flow.completed) {
    call.json_answer = true;
    ojson out = RenderFlow(flow, call);
    out["ui"]["messages"] = ojson::array({ui::Text(id, kTexts.at(id), "error")});
    return WriteOrdered(call.res, 400, out);
  }
  FailFlow(flow, flow.active, json::array({json::parse(ui::Text(id, kTexts.at(id), "error").dump())}),
           json::object(), flow.values, "", call);
}

void SelfService::AnswerSuccess(const Flow& flow, const std::string& return_url,
                                const json& identity, const IssuedSession* issued,
                                bool registration, Call& call, const json& verification) {
  if (issued && !call.api) {
    SetSessionCookie(*issued, call);
  }
  if (!call.json_answer) {
    // The show_verification_ui hook sends browsers to the verification flow.
    if (config_.show_verification_ui && !verification.empty()) {
      const std::string url = verification.front()["flow"].value("url", "");
      if (!url.empty()) {
        call.res.set_redirect(url, 303);
        return;
      }
    }
    call.res.set_redirect(return_url, 303);
    return;
  }
  ojson out = ojson::object();
  json continue_with = json::array();
  if (issued) {
    if (call.api) {
      out["session_token"] = issued->token;
    }
    const json session = deps_.sessions.Render(issued->session, nullptr, true);
    ojson s = ojson::parse(session.dump());
    s["identity"] = ojson::parse(identity.dump());
    out["session"] = s;
  }
  if (registration) {
    out["identity"] = ojson::parse(identity.dump());
  }
  // Kratos's order: redirect_browser_to (SPA) before the hooks, then the
  // verifier's show_verification_ui, then the session hook's token.
  if (!call.api) {
    continue_with.push_back({{"action", "redirect_browser_to"}, {"redirect_browser_to", return_url}});
  }
  for (const auto& item : verification) {
    continue_with.push_back(item);
  }
  if (issued) {
    if (call.api) {
      if (registration) {
        continue_with.push_back(
            {{"action", "set_ory_session_token"}, {"ory_session_token", issued->token}});
      }
    }
  }
  // Kratos's continue_with is not omitempty: null when there is nothing.
  out["continue_with"] = continue_with.empty() ? ojson() : ojson::parse(continue_with.dump());
  WriteOrdered(call.res, 200, out);
}

}  // namespace mneme::api
