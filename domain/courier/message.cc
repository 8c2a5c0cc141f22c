#include "domain/courier/message.h"

#include <algorithm>

#include "domain/common/overloaded.h"
#include "domain/common/time.h"

namespace mneme::domain::courier {
namespace {

using nlohmann::json;

constexpr const char* kMaxRetriesExceeded = "max retries exceeded";
// Kratos's courier/handler.go, outside dev mode.
constexpr const char* kRedactedBody = "<redacted-unless-dev-mode>";

bool IsFinal(const Message& m) {
  return m.status == kStatusSent || m.status == kStatusAbandoned;
}

bool HasDispatch(const Message& m, const std::string& dispatch_id) {
  return std::any_of(m.dispatches.begin(), m.dispatches.end(),
                     [&](const Dispatch& d) { return d.id == dispatch_id; });
}

Status CheckExists(const Message& m) {
  if (!m.exists) {
    return MakeError(Code::kNotFound, "courier message not found");
  }
  return OkStatus();
}

Result<std::vector<Event>> DecideAttempt(const Message& state, const RecordAttempt& c) {
  MNEME_RETURN_IF_ERROR(CheckExists(state));
  if (c.dispatch_id.empty()) {
    return MakeError(Code::kInvalidArgument, "a delivery attempt needs a dispatch id");
  }
  if (IsFinal(state) || HasDispatch(state, c.dispatch_id)) {
    return std::vector<Event>{};
  }
  if (c.ok) {
    return std::vector<Event>{MessageSent{c.dispatch_id, c.worker}};
  }
  std::vector<Event> out{MessageDispatchFailed{c.dispatch_id, c.error, c.worker}};
  if (c.failure == Failure::kPermanent) {
    out.emplace_back(MessageAbandoned{"refused permanently"});
  } else if (state.send_count + 1 > c.max_retries) {
    out.emplace_back(MessageAbandoned{kMaxRetriesExceeded});
  }
  return out;
}

}  // namespace

std::string TypeOf(const Event& e) {
  return std::visit([](const auto& ev) -> std::string { return ev.kType; }, e);
}

std::string StreamOf(const std::string& message_id) { return "message-" + message_id; }

Result<std::vector<Event>> Decide(const Message& state, const Command& command) {
  return std::visit(
      Overloaded{
          [&](const QueueMessage& c) -> Result<std::vector<Event>> {
            if (state.exists) {
              return MakeError(Code::kAlreadyExists, "courier message exists already");
            }
            if (c.recipient.empty() || c.template_type.empty()) {
              return MakeError(Code::kInvalidArgument,
                               "a courier message needs a recipient and a template type");
            }
            MessageQueued e;
            e.template_type = c.template_type;
            e.identity_id = c.identity_id;
            e.flow_id = c.flow_id;
            e.recipient = c.recipient;
            e.subject = c.subject;
            e.body = c.body;
            e.html_body = c.html_body;
            return std::vector<Event>{std::move(e)};
          },
          [&](const StartProcessing&) -> Result<std::vector<Event>> {
            MNEME_RETURN_IF_ERROR(CheckExists(state));
            if (IsFinal(state)) {
              return std::vector<Event>{};
            }
            return std::vector<Event>{MessageProcessing{}};
          },
          [&](const RecordAttempt& c) { return DecideAttempt(state, c); },
          [&](const Abandon& c) -> Result<std::vector<Event>> {
            MNEME_RETURN_IF_ERROR(CheckExists(state));
            if (IsFinal(state)) {
              return std::vector<Event>{};
            }
            return std::vector<Event>{MessageAbandoned{c.reason}};
          },
      },
      command);
}

Message Evolve(Message state, const Event& event, Timestamp at) {
  std::visit(Overloaded{
                 [&](const MessageQueued& e) {
                   state.exists = true;
                   state.status = kStatusQueued;
                   state.type = "email";
                   state.channel = e.channel;
                   state.template_type = e.template_type;
                   state.identity_id = e.identity_id;
                   state.flow_id = e.flow_id;
                   state.recipient = e.recipient;
                   state.subject = e.subject;
                   state.body = e.body;
                   state.html_body = e.html_body;
                   state.created_at = at;
                 },
                 [&](const MessageProcessing&) { state.status = kStatusProcessing; },
                 [&](const MessageDispatchFailed& e) {
                   state.send_count += 1;
                   state.dispatches.push_back({e.dispatch_id, kDispatchFailed, e.error, at});
                   state.status = kStatusQueued;
                 },
                 [&](const MessageSent& e) {
                   state.send_count += 1;
                   state.dispatches.push_back({e.dispatch_id, kDispatchSuccess, json(), at});
                   state.status = kStatusSent;
                 },
                 [&](const MessageAbandoned& e) {
                   state.status = kStatusAbandoned;
                   state.abandon_reason = e.reason;
                 },
             },
             event);
  state.updated_at = at;
  return state;
}

EncodedEvent Encode(const Event& event) {
  return std::visit(Overloaded{
                        [](const MessageQueued& e) {
                          EncodedEvent out;
                          out.type = e.kType;
                          out.plain = {{"template_type", e.template_type},
                                       {"channel", e.channel},
                                       {"identity_id", e.identity_id},
                                       {"flow_id", e.flow_id}};
                          out.personal = {{"recipient", e.recipient},
                                          {"subject", e.subject},
                                          {"body", e.body},
                                          {"html_body", e.html_body}};
                          return out;
                        },
                        [](const MessageProcessing& e) {
                          EncodedEvent out;
                          out.type = e.kType;
                          return out;
                        },
                        [](const MessageDispatchFailed& e) {
                          EncodedEvent out;
                          out.type = e.kType;
                          out.plain = {{"dispatch_id", e.dispatch_id},
                                       {"error", e.error},
                                       {"worker", e.worker}};
                          return out;
                        },
                        [](const MessageSent& e) {
                          EncodedEvent out;
                          out.type = e.kType;
                          out.plain = {{"dispatch_id", e.dispatch_id}, {"worker", e.worker}};
                          return out;
                        },
                        [](const MessageAbandoned& e) {
                          EncodedEvent out;
                          out.type = e.kType;
                          out.plain = {{"reason", e.reason}};
                          return out;
                        },
                    },
                    event);
}

Result<Event> Decode(const std::string& type, const json& plain, const json& personal) {
  if (!plain.is_object()) {
    return MakeError(Code::kDataLoss, type + ": payload is not an object");
  }
  const json p = personal.is_object() ? personal : json::object();
  try {
    if (type == MessageQueued::kType) {
      MessageQueued e;
      e.template_type = plain.at("template_type").get<std::string>();
      e.channel = plain.value("channel", "email");
      e.identity_id = plain.value("identity_id", "");
      e.flow_id = plain.value("flow_id", "");
      e.recipient = p.value("recipient", "");
      e.subject = p.value("subject", "");
      e.body = p.value("body", "");
      e.html_body = p.value("html_body", "");
      return Event{std::move(e)};
    }
    if (type == MessageProcessing::kType) {
      return Event{MessageProcessing{}};
    }
    if (type == MessageDispatchFailed::kType) {
      MessageDispatchFailed e;
      e.dispatch_id = plain.at("dispatch_id").get<std::string>();
      e.error = plain.value("error", json::object());
      e.worker = plain.value("worker", "");
      return Event{std::move(e)};
    }
    if (type == MessageSent::kType) {
      return Event{MessageSent{plain.at("dispatch_id").get<std::string>(),
                               plain.value("worker", "")}};
    }
    if (type == MessageAbandoned::kType) {
      return Event{MessageAbandoned{plain.value("reason", "")}};
    }
  } catch (const json::exception& e) {
    return MakeError(Code::kDataLoss, type + ": " + e.what());
  }
  return MakeError(Code::kDataLoss, "unknown courier message event type " + type);
}

nlohmann::ordered_json ToKratosJson(const Message& message, BodyVisibility body,
                                    DispatchDetail dispatches) {
  using ojson = nlohmann::ordered_json;
  ojson out;
  out["id"] = message.id;
  out["status"] = message.status;
  out["type"] = message.type;
  out["recipient"] = message.recipient;
  out["body"] = body == BodyVisibility::kRedacted ? std::string(kRedactedBody) : message.body;
  out["subject"] = message.subject;
  out["template_type"] = message.template_type;
  out["channel"] = message.channel;
  out["send_count"] = message.send_count;
  // Kratos: `json:"dispatches,omitempty"`, has_many ordered by created_at desc.
  if (dispatches == DispatchDetail::kInclude && !message.dispatches.empty()) {
    ojson list = ojson::array();
    for (auto it = message.dispatches.rbegin(); it != message.dispatches.rend(); ++it) {
      ojson d;
      d["id"] = it->id;
      d["message_id"] = message.id;
      d["status"] = it->status;
      // A success is stored as SQL "null" and read back as the JSON null.
      d["error"] = ojson(it->error);
      d["created_at"] = FormatRfc3339(it->created_at);
      d["updated_at"] = FormatRfc3339(it->created_at);
      list.push_back(std::move(d));
    }
    out["dispatches"] = std::move(list);
  }
  out["created_at"] = FormatRfc3339(message.created_at);
  out["updated_at"] = FormatRfc3339(message.updated_at);
  return out;
}

}  // namespace mneme::domain::courier
