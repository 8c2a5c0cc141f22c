// The self-service flow aggregate (login, registration; later settings,
// recovery, verification): what was started, by which kind of client, until
// when, what went wrong on each submission and how it ended. Stream:
// "flow-<uuid>". Pure Decide/Evolve; value types, thread-safe.
//
// The anti-CSRF token never enters the log, only its SHA-256. Submitted
// values re-rendered into the form (identifier, traits) are personal: the
// codec keeps them apart so the caller seals them with the flow's data key.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/common/result.h"
#include "domain/event/event.h"

namespace mneme::domain::flow {

struct Flow {
  std::string id;
  bool exists = false;
  std::string kind;  // login | registration
  std::string type;  // browser | api
  std::string request_url;
  std::string return_to;
  Timestamp issued_at;
  Timestamp expires_at;
  std::string csrf_hash;  // sha256 hex of the browser's anti-CSRF token; empty for api flows
  bool skip_csrf = false;  // made by an admin (recovery link/code): no browser to bind to
  bool refresh = false;
  std::string requested_aal = "aal1";
  std::string login_hint;  // refresh: the identifier to confirm
  std::string state = "choose_method";
  std::string active;  // the method used last
  // Registration, two steps: "" (traits), "credential-selection" (traits accepted).
  std::string screen;
  nlohmann::json messages = nlohmann::json::array();       // ui.messages
  nlohmann::json node_messages = nlohmann::json::object(); // node name -> [uiText]
  nlohmann::json values = nlohmann::json::object();        // node name -> value (personal)
  int failures = 0;
  bool completed = false;
  std::string identity_id;
  std::string session_id;
  // Verification and recovery (methods code and link). The code or link
  // token itself never enters the log, only its keyed hash.
  std::string code_method;       // "code" | "link": what was sent last
  std::string code_hash;         // keyed hash of the live code or token; "" when none
  Timestamp code_expires_at;
  std::string code_identity_id;  // owner of the address ("" for an unknown address)
  std::string code_address;      // the address it went to (personal)
  int code_submissions = 0;      // code submissions (Kratos's submit_count)
  std::string continue_flow_id;  // recovery: the settings flow it continued to
  bool data_expired = false;     // its data key was dropped by the retention job
  uint64_t version = 0;  // events in the stream (set by the repository)
  bool operator==(const Flow&) const = default;
};

// ---- Events (type names are permanent) ----
struct FlowCreated {
  static constexpr const char* kType = "flow.created";
  std::string kind;
  std::string type;
  std::string request_url;  // personal: may carry return_to and hints
  std::string return_to;    // personal
  Timestamp expires_at;
  std::string csrf_hash;
  bool skip_csrf = false;  // Kratos's DangerousSkipCSRFCheck (admin-issued recovery)
  bool refresh = false;
  std::string requested_aal = "aal1";
  // ui.messages the flow starts with (a replacement for an expired flow says so).
  nlohmann::json messages = nlohmann::json::array();
  // refresh=true: the identifier of the signed-in identity (personal).
  std::string login_hint;
  std::string identity_id;  // settings flows: whose settings
};
// A submission that did not complete the flow: validation messages and the
// values to show again.
struct FlowFailed {
  static constexpr const char* kType = "flow.failed";
  std::string method;
  nlohmann::json messages = nlohmann::json::array();
  nlohmann::json node_messages = nlohmann::json::object();
  nlohmann::json values = nlohmann::json::object();  // personal
  std::string identity_id;  // the account the failure concerned, if known (for its history)
};
// Two-step registration: the traits passed; the flow now offers credentials
// (screen "credential-selection"), or went back (screen "").
struct FlowStepChanged {
  static constexpr const char* kType = "flow.step_changed";
  std::string screen;
  nlohmann::json values = nlohmann::json::object();  // personal
};
struct FlowCompleted {
  static constexpr const char* kType = "flow.completed";
  std::string method;
  std::string identity_id;
  std::string session_id;  // empty when no session was issued
  std::string continue_flow_id;  // recovery: the settings flow that follows
};

// Verification and recovery: a code (or link token) was sent, or would have
// been for an unknown address (code_hash empty then: nothing can match).
// State "sent_email"; a resend replaces the previous code.
struct FlowCodeSent {
  static constexpr const char* kType = "flow.code_sent";
  std::string method;  // code | link
  std::string code_hash;
  Timestamp expires_at;
  std::string identity_id;
  nlohmann::json messages = nlohmann::json::array();
  std::string address;  // personal
};
// A submitted code did not match (or had expired).
struct FlowCodeRejected {
  static constexpr const char* kType = "flow.code_rejected";
  nlohmann::json messages = nlohmann::json::array();
};

// A mailed link opened (maybe in another browser): the flow is bound to that
// browser's anti-CSRF token and the code from the link is shown pre-filled.
// The code is personal data, sealed with the flow's key like other values.
struct FlowRebound {
  static constexpr const char* kType = "flow.rebound";
  std::string csrf_hash;
  nlohmann::json values = nlohmann::json::object();  // personal
};

// The retention job dropped the data key of a flow that never concerned an
// identity, some time after it expired: its personal parts are unreadable.
struct FlowDataExpired {
  static constexpr const char* kType = "flow.data_expired";
};

// Submissions of a code a flow accepts in all (Kratos: more than 5 and the
// flow must be restarted).
inline constexpr int kMaxCodeSubmissions = 5;

using Event = std::variant<FlowCreated, FlowFailed, FlowStepChanged, FlowCompleted, FlowCodeSent,
                           FlowCodeRejected, FlowRebound, FlowDataExpired>;
std::string TypeOf(const Event& e);

// ---- Commands ----
struct CreateFlow {
  FlowCreated created;
};
struct FailFlow {
  FlowFailed failed;
  Timestamp now;
};
struct ChangeStep {
  FlowStepChanged step;
  Timestamp now;
};
struct CompleteFlow {
  FlowCompleted completed;
  Timestamp now;
};
struct SendCode {
  FlowCodeSent sent;
  Timestamp now;
};
struct RejectCode {
  FlowCodeRejected rejected;
  Timestamp now;
};
// A code that matched: completes a verification or recovery flow.
struct AcceptCode {
  FlowCompleted completed;
  Timestamp now;
};
struct Rebind {
  FlowRebound rebound;
  Timestamp now;
};
// Decides nothing when the flow's data expired already. Errors: kNotFound.
struct ExpireData {};
using Command = std::variant<CreateFlow, FailFlow, ChangeStep, CompleteFlow, SendCode, RejectCode,
                             AcceptCode, Rebind, ExpireData>;

// Errors: kAlreadyExists (create twice), kNotFound (no such flow),
// kDeadlineExceeded (the flow expired), kFailedPrecondition (the flow was
// completed already: Kratos's 4010007 "already completed"),
// kResourceExhausted (RejectCode/AcceptCode after kMaxCodeSubmissions code
// submissions: the flow must be restarted).
Result<std::vector<Event>> Decide(const Flow& state, const Command& command);
Flow Evolve(Flow state, const Event& event, Timestamp at);

std::string StreamOf(const std::string& flow_id);

struct EncodedEvent {
  std::string type;
  nlohmann::json plain = nlohmann::json::object();
  nlohmann::json personal;  // null when none
};
EncodedEvent Encode(const Event& event);
// Errors: kDataLoss.
Result<Event> Decode(const std::string& type, const nlohmann::json& plain,
                     const nlohmann::json& personal);

}  // namespace mneme::domain::flow
