// Verification and recovery flows with the code and link methods, as Kratos
// v1.3.1 runs them (selfservice/strategy/code, selfservice/strategy/link):
// choose_method -> sent_email -> passed_challenge. Codes (6 digits) and link
// tokens (32 characters) go out by mail and are kept only as keyed hashes in
// the flow's stream; a code is single use (the flow's version guards it
// against concurrent submissions), expires with the method's lifespan, and
// after kMaxCodeSubmissions submissions the flow must be restarted. An
// unknown address gets the same answer and flow state as a known one.
#include <algorithm>

#include "api/http/errors.h"
#include "api/selfservice/csrf.h"
#include "api/selfservice/selfservice.h"
#include "api/selfservice/ui_nodes.h"
#include "domain/common/time.h"
#include "domain/common/uuid.h"
#include "infra/config/duration.h"
#include "infra/crypto/aead.h"

namespace mneme::api {

using domain::flow::Flow;
using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

namespace {

json Msg(int64_t id, const std::string& text, const std::string& type = "info") {
  return json{{"id", id}, {"text", text}, {"type", type}};
}

std::string NormalizeAddress(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.pop_back();
  }
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) {
    ++start;
  }
  s = s.substr(start);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string StringField(const json& body, const char* name) {
  auto it = body.find(name);
  return it != body.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string WithParam(const std::string& url, const std::string& key, const std::string& value) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + key + "=" +
         httplib::detail::encode_query_param(value);
}

constexpr char kTooOften[] = "The request was submitted too often. Please request another code.";

json SentMessage(const std::string& kind, const std::string& method) {
  if (kind == "verification") {
    return method == "link"
               ? Msg(1080001, "An email containing a verification link has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with.")
               : Msg(1080003, "An email containing a verification code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with.");
  }
  return method == "link"
             ? Msg(1060002, "An email containing a recovery link has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with.")
             : Msg(1060003, "An email containing a recovery code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with.");
}

json GenericMessage(const std::string& reason) {
  json m = Msg(4000001, reason, "error");
  m["context"] = {{"reason", reason}};
  return m;
}

ApiError BadRequest(const std::string& reason) {
  ApiError e;
  e.status = 400;
  e.reason = reason;
  e.message = "The request was malformed or contained invalid parameters";
  return e;
}

constexpr char kAlreadyUsed[] = "The code was already used. Please request another code.";

json InvalidCodeMessage(const std::string& kind, bool link) {
  if (kind == "verification") {
    return link ? Msg(4070001, "The verification token is invalid or has already been used. Please retry the flow.", "error")
                : Msg(4070006, "The verification code is invalid or has already been used. Please try again.", "error");
  }
  return link ? Msg(4060004, "The recovery token is invalid or has already been used. Please retry the flow.", "error")
              : Msg(4060006, "The recovery code is invalid or has already been used. Please try again.", "error");
}

}  // namespace

std::string SelfService::NewCode(bool link) {
  // 6 decimal digits (Kratos's CodeLength) or a 32-character alphanumeric
  // link token; rejection sampling keeps every symbol equally likely.
  static constexpr char kAlnum[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const std::string_view alphabet = link ? std::string_view(kAlnum, 62) : std::string_view("0123456789");
  const size_t length = link ? 32 : 6;
  const unsigned limit = 256 - (256 % alphabet.size());
  std::string out;
  while (out.size() < length) {
    for (unsigned char b : deps_.random.Bytes(length * 2)) {
      if (b < limit && out.size() < length) {
        out.push_back(alphabet[b % alphabet.size()]);
      }
    }
  }
  return out;
}

std::string SelfService::CodeHash(const std::string& flow_id, const std::string& code) const {
  return deps_.codes.Hash("flow-code:" + flow_id + ":" + code);
}

std::string SelfService::ContinueUrl(const Flow& flow) const {
  if (!flow.return_to.empty()) {
    return flow.return_to;
  }
  return config_.verification_return_url.empty() ? config_.default_return_url
                                                 : config_.verification_return_url;
}

void SelfService::RenderCodeNodes(const Flow& flow, const std::string& masked,
                                  std::vector<ojson>& nodes, ojson& container, ojson& messages) {
  const std::string use = flow.kind == "verification" ? config_.verification_use : config_.recovery_use;
  const std::string method = flow.code_method.empty() ? use : flow.code_method;
  const std::string address = flow.code_address.empty()
                                  ? (flow.values.contains("email") && flow.values["email"].is_string()
                                         ? flow.values["email"].get<std::string>()
                                         : "")
                                  : flow.code_address;
  if (flow.kind == "verification" && flow.state == "passed_challenge") {
    const std::string url = ContinueUrl(flow);
    container = {{"action", url}, {"method", "GET"}};
    nodes.push_back(ui::AnchorNode("continue", url, flow.code_method.empty() ? "code" : flow.code_method,
                                   ui::Text(1070009, "Continue")));
    if (messages.empty()) {
      messages.push_back(ui::Text(1080002, "You successfully verified your email address.", "success"));
    }
    return;
  }
  if (flow.kind == "settings") {
    nodes.push_back(ui::CsrfNode(masked));
    nodes.push_back(ui::PasswordNode(true));
    nodes.push_back(ui::SubmitNode("password", "password", ui::Text(1070003, "Save")));
    return;
  }
  if (flow.skip_csrf && flow.state == "sent_email" && method == "code") {
    // Admin-issued recovery code (Kratos: only the code and its submit).
    ui::Input code;
    code.group = "code";
    code.name = "code";
    code.required = true;
    code.pattern = "[0-9]+";
    code.maxlength = 6;
    code.label = ui::Text(1070010, "Recovery code");
    nodes.push_back(ui::InputNode(code));
    nodes.push_back(ui::SubmitNode("code", "code", ui::Text(1070009, "Continue")));
    return;
  }
  nodes.push_back(ui::CsrfNode(masked));
  if (flow.state == "sent_email" && method == "code") {
    ui::Input code;
    code.group = "code";
    code.name = "code";
    code.required = true;
    if (flow.values.contains("code") && flow.values["code"].is_string()) {
      code.value = flow.values["code"].get<std::string>();
    }
    if (flow.kind == "recovery") {
      code.pattern = "[0-9]+";
      code.maxlength = 6;
      code.label = ui::Text(1070010, "Recovery code");
    } else {
      code.label = ui::Text(1070011, "Verification code");
    }
    ui::Input hidden;
    hidden.group = "code";
    hidden.name = "method";
    hidden.type = "hidden";
    hidden.value = "code";
    if (flow.kind == "recovery") {
      nodes.push_back(ui::InputNode(code));
      nodes.push_back(ui::InputNode(hidden));
    } else {
      nodes.push_back(ui::InputNode(hidden));
      nodes.push_back(ui::InputNode(code));
    }
    nodes.push_back(ui::SubmitNode("code", "code", ui::Text(1070009, "Continue")));
    ui::Input resend;
    resend.group = "code";
    resend.name = "email";
    resend.type = "submit";
    resend.value = address;
    resend.label = ui::Text(1070008, "Resend code");
    nodes.push_back(ui::InputNode(resend));
    return;
  }
  ui::Input email;
  email.group = method;
  email.name = "email";
  email.type = "email";
  email.required = true;
  if (!address.empty()) {
    email.value = address;
  }
  email.label = ui::Text(1070007, "Email");
  nodes.push_back(ui::InputNode(email));
  nodes.push_back(ui::SubmitNode(method, method, ui::Text(1070009, "Continue")));
}

void SelfService::RetryCodeFlow(const Flow& old, const json& message, Call& call,
                                std::optional<ApiError> error, const json& extra_body) {
  RetryCodeFlow(old.kind, old.type == "api", old.return_to, message, call, std::move(error),
                extra_body);
}

void SelfService::RetryCodeFlow(const std::string& kind, bool api, const std::string& return_to,
                                const json& message, Call& call, std::optional<ApiError> error,
                                const json& extra_body) {
  auto fresh = CreateFlow(kind, api, call, return_to, false, nullptr, json::array({message}));
  if (!fresh) {
    return WriteError(call.res, fresh.error());
  }
  if (!call.json_answer) {
    call.res.set_redirect(WithParam(UiUrl(kind), "flow", fresh->id), 303);
    return;
  }
  if (!error) {
    error = ApiError{};
    error->status = 410;
    error->id = "self_service_flow_replaced";
    error->reason = "An error occured, please retry the flow.";
    error->message = "self-service flow replaced";
  }
  if (kind == "recovery") {
    if (!config_.use_continue_with_transitions) {
      call.res.set_redirect(
          WithParam(config_.public_base_url + "/self-service/recovery/flows", "id", fresh->id), 303);
      return;
    }
    error->details["continue_with"] =
        json::array({{{"action", "show_recovery_ui"}, {"flow", {{"id", fresh->id}}}}});
  }
  json body = ErrorBody(*error);
  for (const auto& [k, v] : extra_body.items()) {
    body[k] = v;
  }
  body["use_flow_id"] = fresh->id;
  WriteJson(call.res, error->status, body);
}

void SelfService::RetryExpiredCode(const Flow& old, Call& call) {
  const auto now = deps_.clock.Now();
  const double minutes = static_cast<double>(now.micros - old.code_expires_at.micros) / 60e6;
  char text[160];
  std::snprintf(text, sizeof text, "The %s flow expired %.2f minutes ago, please try again.",
                old.kind.c_str(), minutes);
  json message = Msg(old.kind == "verification" ? 4070005 : 4060005, text, "error");
  message["context"] = {{"expired_at", FormatRfc3339(old.code_expires_at)},
                        {"expired_at_unix", old.code_expires_at.micros / 1000000}};
  ApiError e;
  e.status = 410;
  e.id = "self_service_flow_expired";
  e.reason = "The self-service flow has expired";
  e.message = "self-service flow expired";
  // Go's Duration in nanoseconds, as Kratos's ExpiredError.
  RetryCodeFlow(old, message, call, e,
                json{{"expired_at", FormatRfc3339(old.code_expires_at)},
                     {"since", (now.micros - old.code_expires_at.micros) * 1000}});
}

Result<Flow> SelfService::SendCode(const Flow& flow, const std::string& method,
                                   const std::string& email, Call& call) {
  const std::string address = NormalizeAddress(email);
  const bool verification = flow.kind == "verification";
  MNEME_TRY(auto identity,
            deps_.identities.FindByAddress(verification ? "verifiable" : "recovery", address));
  const bool link = method == "link";
  const std::string code = NewCode(link);
  const auto now = deps_.clock.Now();
  domain::flow::FlowCodeSent sent;
  sent.method = method;
  sent.code_hash = identity ? CodeHash(flow.id, code) : "";
  sent.expires_at = domain::Timestamp{
      now.micros + (link ? config_.link_lifespan_micros : config_.code_lifespan_micros)};
  sent.identity_id = identity ? identity->id : "";
  sent.messages = json::array({SentMessage(flow.kind, method)});
  sent.address = address;
  MNEME_TRY(auto after, deps_.flows.Execute(flow, domain::flow::SendCode{sent, now},
                                            identity ? identity->id : "anonymous",
                                            call.ctx.request_id));
  const bool notify = verification ? config_.verification_notify_unknown
                                   : config_.recovery_notify_unknown;
  if (!identity && !notify) {
    return after;  // enumeration-safe: same answer, no mail
  }
  QueueRequest mail;
  mail.recipient = address;
  mail.flow_id = flow.id;
  mail.request_id = call.ctx.request_id;
  const std::string base =
      (config_.link_base_url.empty() ? config_.public_base_url : config_.link_base_url) +
      "/self-service/" + flow.kind;
  const std::string dir = std::string(flow.kind) + (link ? "" : "_code");
  if (identity) {
    mail.identity_id = identity->id;
    mail.template_type = dir + "_valid";
    mail.data = {{"Identity", deps_.identities.Render(*identity, {}, false)},
                 {"RequestURL", flow.request_url}};
    // Go's url.Values encodes keys sorted: code before flow, flow before token.
    const std::string url = link ? WithParam(WithParam(base, "flow", flow.id), "token", code)
                                 : WithParam(WithParam(base, "code", code), "flow", flow.id);
    if (verification) {
      mail.data[link ? "VerificationURL" : "VerificationCode"] = link ? url : code;
      if (!link) {
        mail.data["VerificationURL"] = url;
      }
    } else {
      mail.data[link ? "RecoveryURL" : "RecoveryCode"] = link ? url : code;
    }
  } else {
    mail.template_type = dir + "_invalid";
    mail.data = {{"RequestURL", flow.request_url}};
  }
  auto queued = deps_.courier.Queue(mail);
  if (!queued && queued.error().code() != Code::kResourceExhausted) {
    return tl::unexpected(queued.error());
  }
  // Throttled (checklist 27): no mail, the same answer.
  return after;
}

void SelfService::SubmitCodeFlow(Flow& flow, const json& body, Call& call) {
  const bool verification = flow.kind == "verification";
  const std::string use = verification ? config_.verification_use : config_.recovery_use;
  const bool enabled = use == "link" ? config_.link_enabled : config_.code_enabled;
  std::string method = StringField(body, "method");
  const std::string code = StringField(body, "code");
  const std::string email = StringField(body, "email");
  if (method.empty() && !code.empty()) {
    method = "code";
  }
  if (flow.completed) {
    if (!verification && email.empty()) {
      // Kratos: the flow's code is found, used already.
      return RetryCodeFlow(flow, GenericMessage(kAlreadyUsed), call, BadRequest(kAlreadyUsed));
    }
    ApiError e;
    e.status = verification ? 410 : 400;
    e.id = verification ? "self_service_flow_replaced" : "";
    e.reason = verification ? "An error occured, please use the new flow."
                            : "The request was already completed successfully and can not be retried.";
    e.message = verification ? "self-service flow replaced"
                             : "The request was malformed or contained invalid parameters";
    return RetryCodeFlow(
        flow,
        Msg(verification ? 4070002 : 4060001,
            "The request was already completed successfully and can not be retried.", "error"),
        call, e);
  }
  if (!enabled || (method != use)) {
    // Kratos: no strategy is responsible for this body.
    return FailFlow(flow, flow.active,
                    json::array({verification
                                     ? Msg(4010006, "Could not find a strategy to verify your account with. Did you fill out the form correctly?", "error")
                                     : Msg(4010005, "Could not find a strategy to recover your account with. Did you fill out the form correctly?", "error")}),
                    json::object(), json{{"email", email}}, "", call);
  }
  const bool use_code = verification ? !code.empty()
                                     : (flow.state != "choose_method" && email.empty());
  if (use_code && use == "code") {
    return UseCode(flow, code, false, call);
  }
  if (!verification && CurrentSession(call)) {
    if (!call.json_answer) {
      call.res.set_redirect(config_.default_return_url, 303);
      return;
    }
    return AnswerError(400, "session_already_available",
                       "A valid session was detected and thus recovery is not possible.",
                       "you are already logged in", call);
  }
  if (email.empty()) {
    return FailFlow(flow, method, json::array(),
                    json{{"email", json::array({Msg(4000002, "Property email is missing.", "error")})}},
                    json{{"email", ""}}, "", call);
  }
  auto after = SendCode(flow, method, email, call);
  if (!after) {
    if (after.error().code() == Code::kDeadlineExceeded) {
      return AnswerExpired(flow, call);
    }
    return WriteError(call.res, after.error());
  }
  flow = std::move(*after);
  AnswerFlow(flow, 200, call);
}

void SelfService::UseCode(Flow& flow, const std::string& code, bool link, Call& call) {
  const bool verification = flow.kind == "verification";
  const auto now = deps_.clock.Now();
  if (flow.code_submissions >= domain::flow::kMaxCodeSubmissions) {
    return RetryCodeFlow(flow, GenericMessage(kTooOften), call,
                         verification ? std::nullopt : std::optional<ApiError>(BadRequest(kTooOften)));
  }
  bool match = !flow.code_hash.empty() && flow.code_method == (link ? "link" : "code") &&
               !code.empty();
  if (match) {
    match = false;
    for (const auto& candidate : deps_.codes.Candidates("flow-code:" + flow.id + ":" + code)) {
      match = infra::crypto::ConstantTimeEquals(candidate, flow.code_hash) || match;
    }
  }
  if (match && !(now < flow.code_expires_at)) {
    return RetryExpiredCode(flow, call);
  }
  if (!match && link) {
    return RetryCodeFlow(flow, InvalidCodeMessage(flow.kind, true), call);
  }
  auto answer_invalid = [&](Flow& f) {
    if (!call.json_answer) {
      call.res.set_redirect(WithParam(UiUrl(f.kind), "flow", f.id), 303);
      return;
    }
    WriteOrdered(call.res, 200, RenderFlow(f, call));
  };
  if (!match) {
    auto after = deps_.flows.Execute(
        flow, domain::flow::RejectCode{{json::array({InvalidCodeMessage(flow.kind, false)})}, now},
        "anonymous", call.ctx.request_id);
    if (!after) {
      if (after.error().code() == Code::kResourceExhausted) {
        return RetryCodeFlow(flow, GenericMessage(kTooOften), call,
                             verification ? std::nullopt : std::optional<ApiError>(BadRequest(kTooOften)));
      }
      if (after.error().code() == Code::kAborted) {
        // A concurrent submission changed the flow first: this one failed.
        flow.messages = json::array({InvalidCodeMessage(flow.kind, false)});
        return answer_invalid(flow);
      }
      if (after.error().code() == Code::kDeadlineExceeded) {
        return AnswerExpired(flow, call);
      }
      return WriteError(call.res, after.error());
    }
    flow = std::move(*after);
    return answer_invalid(flow);
  }
  const std::string identity_id = flow.code_identity_id;
  domain::flow::FlowCompleted completed;
  completed.method = link ? "link" : "code";
  completed.identity_id = identity_id;
  if (!verification) {
    completed.continue_flow_id = deps_.ids.NewUuid();
  }
  auto done = deps_.flows.Execute(flow, domain::flow::AcceptCode{completed, now}, identity_id,
                                  call.ctx.request_id);
  if (!done) {
    if (done.error().code() == Code::kResourceExhausted) {
      return RetryCodeFlow(flow, GenericMessage(kTooOften), call,
                           verification ? std::nullopt : std::optional<ApiError>(BadRequest(kTooOften)));
    }
    if (done.error().code() == Code::kAborted || done.error().code() == Code::kFailedPrecondition) {
      // Another submission used the code first: single use.
      if (link) {
        return RetryCodeFlow(flow, InvalidCodeMessage(flow.kind, true), call);
      }
      flow.messages = json::array({InvalidCodeMessage(flow.kind, false)});
      return answer_invalid(flow);
    }
    if (done.error().code() == Code::kDeadlineExceeded) {
      return AnswerExpired(flow, call);
    }
    return WriteError(call.res, done.error());
  }
  flow = std::move(*done);
  // The address proved reachable: verified (recovery does the same, as Kratos).
  if (!flow.code_address.empty()) {
    auto verified = deps_.identities.VerifyAddress(identity_id, flow.code_address, identity_id,
                                                   call.ctx.request_id);
    if (!verified && verified.error().code() != Code::kNotFound) {
      return WriteError(call.res, verified.error());
    }
  }
  if (verification) {
    if (!call.json_answer) {
      call.res.set_redirect(WithParam(UiUrl(flow.kind), "flow", flow.id), 303);
      return;
    }
    return WriteOrdered(call.res, 200, RenderFlow(flow, call));
  }
  AnswerRecovered(flow, identity_id, link ? "link_recovery" : "code_recovery", call);
}

void SelfService::AnswerRecovered(Flow& flow, const std::string& identity_id,
                                  const std::string& method, Call& call) {
  const auto now = deps_.clock.Now();
  auto issued = deps_.sessions.Issue(identity_id, {{method, "aal1", now}}, DeviceOf(call),
                                     call.ctx.request_id);
  if (!issued) {
    return WriteError(call.res, issued.error());
  }
  const double minutes = static_cast<double>(config_.privileged_session_max_age_micros) / 60e6;
  char text[256];
  std::snprintf(text, sizeof text,
                "You successfully recovered your account. Please change your password or set up an alternative login method (e.g. social sign in) within the next %.2f minutes.",
                minutes);
  json message = Msg(1060001, text, "success");
  message["context"] = {{"privileged_session_expires_at",
                         FormatRfc3339(domain::Timestamp{now.micros +
                                                         config_.privileged_session_max_age_micros})}};
  domain::flow::FlowCreated c;
  c.kind = "settings";
  c.type = flow.type;
  c.request_url = flow.request_url;
  c.return_to = flow.return_to;
  c.expires_at = domain::Timestamp{now.micros + config_.settings_lifespan_micros};
  c.messages = json::array({message});
  c.identity_id = identity_id;
  if (flow.type == "browser") {
    c.csrf_hash = CsrfHash(EnsureCsrfCookie(call));
  }
  Flow blank;
  blank.id = flow.continue_flow_id;
  auto settings = deps_.flows.Execute(blank, domain::flow::CreateFlow{c}, identity_id,
                                      call.ctx.request_id);
  if (!settings) {
    return WriteError(call.res, settings.error());
  }
  const std::string settings_url = WithParam(config_.settings_ui_url, "flow", settings->id);
  const bool api = flow.type == "api";
  if (!api) {
    SetSessionCookie(*issued, call);
  }
  if (!call.json_answer && !api) {
    call.res.set_redirect(settings_url, 303);
    return;
  }
  if (!config_.use_continue_with_transitions) {
    ApiError e;
    e.status = 422;
    e.id = "browser_location_change_required";
    e.reason = "In order to complete this flow please redirect the browser to: " + settings_url;
    e.message = "browser location change required";
    json body = ErrorBody(e);
    body["redirect_browser_to"] = settings_url;
    return WriteJson(call.res, 422, body);
  }
  ojson out = RenderFlow(flow, call);
  ojson continue_with = ojson::array();
  if (api) {
    continue_with.push_back({{"action", "set_ory_session_token"}, {"ory_session_token", issued->token}});
  }
  continue_with.push_back(
      {{"action", "show_settings_ui"}, {"flow", {{"id", settings->id}, {"url", settings_url}}}});
  out["continue_with"] = continue_with;
  WriteOrdered(call.res, 200, out);
}

void SelfService::LinkClick(const std::string& kind, Call& call) {
  call.json_answer = false;  // a link in a mail opens in a browser
  const std::string flow_id = call.req.get_param_value("flow");
  const std::string token = call.req.get_param_value("token");
  const std::string code = call.req.get_param_value("code");
  auto flow = common::IsUuid(flow_id) ? deps_.flows.Load(flow_id)
                                      : Result<Flow>(tl::unexpected(MakeError(Code::kNotFound, "no flow")));
  if (!flow || flow->kind != kind) {
    if (!flow && flow.error().code() != Code::kNotFound) {
      return WriteError(call.res, flow.error());
    }
    return RetryCodeFlow(kind, false, "", InvalidCodeMessage(kind, true), call);
  }
  if (token.empty()) {
    // Kratos's code links open the UI on the flow, bound to this browser,
    // with the code filled in (handleLinkClick); the admin recovery link too.
    if (!code.empty() && !flow->completed && flow->type == "browser" &&
        deps_.clock.Now() < flow->expires_at) {
      domain::flow::FlowRebound rebound;
      rebound.csrf_hash = CsrfHash(EnsureCsrfCookie(call));
      rebound.values = {{"code", code}};
      auto after = deps_.flows.Execute(*flow, domain::flow::Rebind{rebound, deps_.clock.Now()},
                                       "anonymous", call.ctx.request_id);
      if (!after && after.error().code() != Code::kAborted) {
        return WriteError(call.res, after.error());
      }
    }
    call.res.set_redirect(WithParam(UiUrl(kind), "flow", flow->id), 303);
    return;
  }
  if (flow->completed) {
    return RetryCodeFlow(*flow, InvalidCodeMessage(kind, true), call);
  }
  if (!(deps_.clock.Now() < flow->expires_at)) {
    const double minutes =
        static_cast<double>(deps_.clock.Now().micros - flow->expires_at.micros) / 60e6;
    char text[160];
    std::snprintf(text, sizeof text, "The %s flow expired %.2f minutes ago, please try again.",
                  kind.c_str(), minutes);
    return RetryCodeFlow(*flow, Msg(kind == "verification" ? 4070005 : 4060005, text, "error"), call);
  }
  if (!ThrottleClient(call)) {
    return;
  }
  UseCode(*flow, token, true, call);
}

json SelfService::StartVerificationAfterRegistration(const json& identity, Call& call) {
  json out = json::array();
  if (!config_.verification_enabled || !identity.contains("verifiable_addresses")) {
    return out;
  }
  for (const auto& address : identity["verifiable_addresses"]) {
    if (address.value("verified", false) || address.value("via", "") != "email") {
      continue;
    }
    auto flow = CreateFlow("verification", call.api, call, "", false);
    if (!flow) {
      continue;
    }
    auto sent = SendCode(*flow, config_.verification_use, address.value("value", ""), call);
    if (!sent) {
      continue;
    }
    json item = {{"action", "show_verification_ui"},
                 {"flow", {{"id", flow->id}, {"verifiable_address", address.value("value", "")}}}};
    if (!call.api) {
      item["flow"]["url"] = WithParam(config_.verification_ui_url, "flow", flow->id);
    }
    out.push_back(std::move(item));
  }
  return out;
}

void SelfService::AdminRecovery(bool link, Call& call) {
  auto body = json::parse(call.req.body, nullptr, false);
  if (!body.is_object()) {
    return AnswerError(400, "", "The request body must be a JSON object.", "", call);
  }
  if (!config_.recovery_enabled) {
    return AnswerError(400, "", "Recovery is not allowed because it was disabled.", "", call);
  }
  const std::string identity_id = StringField(body, "identity_id");
  auto identity = deps_.identities.Get(identity_id);
  if (!identity) {
    if (identity.error().code() == Code::kNotFound) {
      if (link) {
        return AnswerError(400, "", "The requested identity id does not exist.",
                           "The request was malformed or contained invalid parameters", call);
      }
      return AnswerError(404, "", "The requested resource could not be found",
                         "The requested resource could not be found", call);
    }
    return WriteError(call.res, identity.error());
  }
  const bool api_flow = StringField(body, "flow_type") == "api";
  int64_t lifespan = link ? config_.link_lifespan_micros : config_.code_lifespan_micros;
  if (const std::string expires_in = StringField(body, "expires_in"); !expires_in.empty()) {
    auto parsed = infra::config::ParseDuration(expires_in);
    if (!parsed || parsed->count() <= 0) {
      return AnswerError(400, "", "Unable to parse \"expires_in\" whose format should match \"[0-9]+(ns|us|ms|s|m|h)\" but did not: " + expires_in, "", call);
    }
    lifespan = parsed->count();
  }
  const auto now = deps_.clock.Now();
  Flow blank;
  blank.id = deps_.ids.NewUuid();
  domain::flow::FlowCreated c;
  c.kind = "recovery";
  c.type = api_flow ? "api" : "browser";
  c.request_url = config_.public_base_url + "/self-service/recovery/browser";
  c.expires_at = domain::Timestamp{now.micros + lifespan};
  c.skip_csrf = true;
  auto flow = deps_.flows.Execute(blank, domain::flow::CreateFlow{c}, "admin", call.ctx.request_id);
  if (!flow) {
    return WriteError(call.res, flow.error());
  }
  const std::string code = NewCode(link);
  domain::flow::FlowCodeSent sent;
  sent.method = link ? "link" : "code";
  sent.code_hash = CodeHash(flow->id, code);
  sent.expires_at = c.expires_at;
  sent.identity_id = identity->id;
  if (!link) {
    sent.messages = json::array({SentMessage("recovery", "code")});
  }
  auto after = deps_.flows.Execute(*flow, domain::flow::SendCode{sent, now}, "admin",
                                   call.ctx.request_id);
  if (!after) {
    return WriteError(call.res, after.error());
  }
  const std::string base = config_.public_base_url + "/self-service/recovery";
  if (link) {
    return WriteJson(call.res, 200,
                     json{{"recovery_link", WithParam(WithParam(base, "flow", flow->id), "token", code)},
                          {"expires_at", FormatRfc3339(c.expires_at)}});
  }
  WriteJson(call.res, 201,
            json{{"recovery_link", WithParam(config_.recovery_ui_url, "flow", flow->id)},
                 {"recovery_code", code},
                 {"expires_at", FormatRfc3339(c.expires_at)}});
}

// GET /self-service/settings/flows?id=: the settings flow a recovery
// continued to, for its identity's session (Kratos: 401 without one, 403
// for another identity). Changing settings is a later issue.
void SelfService::GetSettingsFlow(Call& call) {
  call.json_answer = true;
  auto flow = deps_.flows.Load(call.req.get_param_value("id"));
  if (!flow || flow->kind != "settings") {
    if (!flow && flow.error().code() != Code::kNotFound) {
      return WriteError(call.res, flow.error());
    }
    return AnswerError(404, "", "The requested resource could not be found", "", call);
  }
  auto session = CurrentSession(call);
  if (!session) {
    return AnswerError(401, "session_inactive", "No active session was found in this request.",
                       "request does not have a valid authentication session", call);
  }
  if (session->identity.id != flow->identity_id) {
    return AnswerError(403, "security_identity_mismatch",
                       "The flow was interrupted because the identity of the session does not match the identity of the flow.",
                       "the requested flow does not belong to this user", call);
  }
  ojson out = RenderFlow(*flow, call);
  ojson rendered = ojson::parse(deps_.identities.Render(session->identity, {}, false).dump());
  out.erase("state");
  out["identity"] = rendered;
  out["state"] = flow->state;
  WriteOrdered(call.res, 200, out);
}

}  // namespace mneme::api
