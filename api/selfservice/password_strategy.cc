// The password method of login and registration (Kratos's
// selfservice/strategy/password), with mneme's stricter policy: lengths in
// code points, an offline breach list, per-account and per-client throttles,
// and a dummy hash for unknown identifiers.
#include "api/http/errors.h"
#include "api/selfservice/selfservice.h"
#include "api/selfservice/ui_nodes.h"
#include "domain/identity/schema_extension.h"
#include "projections/identities.h"

namespace mneme::api {

using domain::flow::Flow;
using nlohmann::json;

namespace {

constexpr char kInvalidCredentials[] =
    "The provided credentials are invalid, check for spelling mistakes in your password or "
    "username, email address, or phone number.";

json ErrorText(int64_t id, const std::string& text, json context = nullptr) {
  json t = {{"id", id}, {"text", text}, {"type", "error"}};
  if (!context.is_null()) {
    t["context"] = std::move(context);
  }
  return t;
}

void Flatten(const std::string& prefix, const json& value, json& out) {
  if (value.is_object()) {
    for (const auto& [k, v] : value.items()) {
      Flatten(prefix + "." + k, v, out);
    }
    return;
  }
  out[prefix] = value;
}

// "/traits/name/first" -> "traits.name.first"
std::string NodeName(const std::string& pointer) {
  std::string out;
  for (char c : pointer.substr(pointer.rfind('#', 0) == 0 ? 1 : 0)) {
    out.push_back(c == '/' ? '.' : c);
  }
  return out.empty() ? out : out.substr(out[0] == '.' ? 1 : 0);
}

std::string StringField(const json& body, const char* name) {
  return body.contains(name) && body[name].is_string() ? body[name].get<std::string>() : "";
}

}  // namespace

domain::session::Device SelfService::DeviceOf(Call& call) const {
  domain::session::Device d;
  d.ip_address = call.client;
  d.user_agent = call.req.get_header_value("User-Agent");
  const std::string city = call.req.get_header_value("Cf-Ipcity");
  const std::string country = call.req.get_header_value("Cf-Ipcountry");
  d.location = city.empty() ? country : (country.empty() ? city : city + ", " + country);
  return d;
}

void SelfService::SubmitLogin(Flow& flow, const json& body, Call& call) {
  const std::string method = StringField(body, "method");
  if (method != "password" || !config_.password_enabled) {
    return FailFlowMessage(flow, 4010002, call);
  }
  std::string identifier = StringField(body, "identifier");
  if (identifier.empty()) {
    identifier = StringField(body, "password_identifier");
  }
  const std::string password = StringField(body, "password");
  json node_messages = json::object();
  if (identifier.empty()) {
    node_messages["identifier"] = json::array(
        {ErrorText(4000002, "Property identifier is missing.", {{"property", "identifier"}})});
  }
  if (password.empty()) {
    node_messages["password"] = json::array(
        {ErrorText(4000002, "Property password is missing.", {{"property", "password"}})});
  }
  if (!node_messages.empty()) {
    return FailFlow(flow, "password", json::array(), node_messages,
                    json{{"identifier", identifier}}, "", call);
  }
  const std::string key = domain::identity::NormalizeIdentifier(identifier);
  if (config_.throttle_enabled) {
    auto d = deps_.login_throttle.Check(key);
    if (!d.allowed) {
      call.res.set_header("Retry-After", std::to_string(d.retry_after.count()));
      return AnswerError(429, "rate_limit_exceeded",
                         "Too many failed sign-in attempts for this account. Retry after " +
                             std::to_string(d.retry_after.count()) + " seconds.",
                         "too many requests", call);
    }
  }
  auto id_row = deps_.reads.GetRow(projections::Identities::kName,
                                   projections::Identities::CredentialKey("password", key));
  if (!id_row) {
    return WriteError(call.res, id_row.error());
  }
  bool match = false;
  std::string identity_id;
  if (*id_row) {
    identity_id = **id_row;
    auto check = deps_.identities.CheckPassword(identity_id, password, call.ctx.request_id);
    if (check) {
      match = *check == domain::identity::PasswordCheck::kMatch;
    } else {
      // No password credential, or an unreadable hash: as long as a real check.
      auto ignored = deps_.hasher.Verify(password, dummy_hash_);
      (void)ignored;
    }
  } else {
    // Unknown identifier: spend the time a real check takes (no timing oracle).
    auto ignored = deps_.hasher.Verify(password, dummy_hash_);
    (void)ignored;
  }
  if (!match) {
    if (config_.throttle_enabled) {
      deps_.login_throttle.RecordFailure(key);
    }
    return FailFlow(flow, "password", json::array({ErrorText(4000006, kInvalidCredentials)}),
                    json::object(), json{{"identifier", identifier}}, identity_id, call);
  }
  if (config_.throttle_enabled) {
    deps_.login_throttle.RecordSuccess(key);
  }
  auto identity = deps_.identities.Get(identity_id);
  if (!identity) {
    return WriteError(call.res, identity.error());
  }
  if (identity->state != "active") {
    return AnswerError(401, "", "This account was disabled.", "identity is disabled", call);
  }
  const auto& hooks = config_.login_hooks;
  if (std::find(hooks.begin(), hooks.end(), "require_verified_address") != hooks.end()) {
    const bool verified = std::any_of(identity->verifiable_addresses.begin(),
                                      identity->verifiable_addresses.end(),
                                      [](const auto& a) { return a.verified; });
    if (!verified) {
      return FailFlow(flow, "password",
                      json::array({ErrorText(4000010, "Account not active yet. Did you forget to verify your email address?")}),
                      json::object(), json{{"identifier", identifier}}, identity_id, call);
    }
  }
  const auto now = deps_.clock.Now();
  auto issued = deps_.sessions.Issue(identity_id, {{"password", "aal1", now}}, DeviceOf(call),
                                     call.ctx.request_id);
  if (!issued) {
    return WriteError(call.res, issued.error());
  }
  if (std::find(hooks.begin(), hooks.end(), "revoke_active_sessions") != hooks.end()) {
    auto revoked = deps_.sessions.RevokeAllOf(identity_id, issued->session.id,
                                              "revoke_active_sessions", identity_id,
                                              call.ctx.request_id);
    if (!revoked) {
      return WriteError(call.res, revoked.error());
    }
  }
  auto done = deps_.flows.Execute(
      flow, domain::flow::CompleteFlow{{"password", identity_id, issued->session.id, ""}, now},
      identity_id, call.ctx.request_id);
  if (!done) {
    return FailFlowMessage(flow, 4010007, call);
  }
  AnswerSuccess(*done, ReturnUrl(*done, config_.login_return_url),
                deps_.identities.Render(*identity, {}, false), &*issued, false, call);
}

void SelfService::SubmitRegistration(Flow& flow, const json& body, Call& call) {
  const std::string method = StringField(body, "method");
  const SchemaEntry* schema = deps_.schemas.Find(deps_.schemas.default_id());
  if (!schema) {
    return AnswerError(500, "", "The default identity schema is not configured.", "", call);
  }
  json traits = body.contains("traits") ? body["traits"] : json();
  if (method == "profile" && config_.two_step_registration) {
    json values = json::object();
    if (traits.is_object()) {
      Flatten("traits", traits, values);
    }
    if (StringField(body, "screen") == "previous") {
      auto back = deps_.flows.Execute(
          flow, domain::flow::ChangeStep{{"", values.empty() ? flow.values : values}, deps_.clock.Now()},
          "anonymous", call.ctx.request_id);
      if (!back) {
        return WriteError(call.res, back.error());
      }
      return AnswerFlow(*back, 400, call);
    }
  }
  if (method != "password" && !(method == "profile" && config_.two_step_registration)) {
    return FailFlowMessage(flow, 4010003, call);
  }
  if (!traits.is_object()) {
    traits = json::object();
  }
  json values = json::object();
  Flatten("traits", traits, values);
  json node_messages = json::object();
  for (const auto& e : schema->compiled.Validate(json{{"traits", traits}})) {
    std::string name = NodeName(e.instance_ptr);
    if (name.empty()) {
      name = "traits";
    }
    node_messages[name].push_back(ErrorText(e.message_id, e.text, e.context));
  }
  if (!node_messages.empty()) {
    return FailFlow(flow, method, json::array(), node_messages, values, "", call);
  }
  if (method == "profile") {
    auto next = deps_.flows.Execute(
        flow, domain::flow::ChangeStep{{"credential-selection", values}, deps_.clock.Now()},
        "anonymous", call.ctx.request_id);
    if (!next) {
      return WriteError(call.res, next.error());
    }
    // Kratos answers the profile step with 400 and the flow (JSON clients).
    return AnswerFlow(*next, 400, call);
  }
  const auto ext = domain::identity::ExtractExtension(schema->compiled, traits);
  if (ext.identifiers.password.empty()) {
    return FailFlow(flow, "password",
                    json::array({ErrorText(4000009, "Could not find any login identifiers. Did you forget to set them? This could also be caused by a server misconfiguration.")}),
                    json::object(), values, "", call);
  }
  const std::string password = StringField(body, "password");
  std::optional<domain::password::Violation> violation;
  if (password.empty()) {
    node_messages["password"] = json::array(
        {ErrorText(4000002, "Property password is missing.", {{"property", "password"}})});
    return FailFlow(flow, "password", json::array(), node_messages, values, "", call);
  }
  violation = domain::password::CheckStatic(password, ext.identifiers.password, config_.password_policy);
  if (!violation) {
    auto breached = deps_.breaches.Check(password);
    if (!breached) {
      violation = domain::password::Violation{
          4000005,
          "The password can not be used because the list of breached passwords could not be checked; please try again.",
          json{{"reason", "the list of breached passwords could not be checked"}}};
    } else {
      violation = *breached;
    }
  }
  if (violation) {
    node_messages["password"] =
        json::array({ErrorText(violation->id, violation->text, violation->context)});
    return FailFlow(flow, "password", json::array(), node_messages, values, "", call);
  }
  auto hash = deps_.hasher.Hash(password);
  if (!hash) {
    if (hash.error().code() == Code::kInvalidArgument) {
      node_messages["password"] = json::array({ErrorText(4000033, hash.error().message())});
      return FailFlow(flow, "password", json::array(), node_messages, values, "", call);
    }
    return WriteError(call.res, hash.error());
  }
  json create = {{"schema_id", schema->id},
                 {"traits", traits},
                 {"credentials", {{"password", {{"config", {{"hashed_password", *hash}}}}}}}};
  auto identity = deps_.identities.Create(create, "anonymous", call.ctx.request_id);
  if (!identity) {
    if (identity.error().code() == Code::kAlreadyExists) {
      return FailFlow(flow, "password",
                      json::array({ErrorText(4000007, "An account with the same identifier (email, phone, username, ...) exists already.")}),
                      json::object(), values, "", call);
    }
    if (identity.error().code() == Code::kInvalidArgument) {
      json messages = json::array({ErrorText(4000001, identity.error().message())});
      return FailFlow(flow, "password", messages, json::object(), values, "", call);
    }
    return WriteError(call.res, identity.error());
  }
  const auto now = deps_.clock.Now();
  std::optional<IssuedSession> issued;
  const auto& hooks = config_.registration_hooks;
  if (std::find(hooks.begin(), hooks.end(), "session") != hooks.end()) {
    auto s = deps_.sessions.Issue(identity->id, {{"password", "aal1", now}}, DeviceOf(call),
                                  call.ctx.request_id);
    if (!s) {
      return WriteError(call.res, s.error());
    }
    issued = std::move(*s);
  }
  auto done = deps_.flows.Execute(
      flow,
      domain::flow::CompleteFlow{{"password", identity->id, issued ? issued->session.id : "", ""}, now},
      identity->id, call.ctx.request_id);
  if (!done) {
    return WriteError(call.res, done.error());
  }
  const json rendered = deps_.identities.Render(*identity, {}, false);
  const json verification = StartVerificationAfterRegistration(rendered, call);
  AnswerSuccess(*done, ReturnUrl(*done, config_.registration_return_url), rendered,
                issued ? &*issued : nullptr, true, call, verification);
}

}  // namespace mneme::api
