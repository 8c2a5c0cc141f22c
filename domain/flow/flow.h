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
  bool refresh = false;
  std::string requested_aal = "aal1";
  // ui.messages the flow starts with (a replacement for an expired flow says so).
  nlohmann::json messages = nlohmann::json::array();
  // refresh=true: the identifier of the signed-in identity (personal).
  std::string login_hint;
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
};

using Event = std::variant<FlowCreated, FlowFailed, FlowStepChanged, FlowCompleted>;
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
using Command = std::variant<CreateFlow, FailFlow, ChangeStep, CompleteFlow>;

// Errors: kAlreadyExists (create twice), kNotFound (no such flow),
// kDeadlineExceeded (the flow expired), kFailedPrecondition (the flow was
// completed already: Kratos's 4010007 "already completed").
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
