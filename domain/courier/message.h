// The courier message aggregate: one e-mail queued by a self-service flow,
// its delivery attempts and how it ended, as Kratos models it in
// courier/message.go and courier/message_dispatch.go. Stream:
// "message-<uuid>". Pure Decide/Evolve; value types, thread-safe.
//
// Lifecycle: queued -> processing -> sent, or back to queued after a failed
// attempt, until the attempts exceed the retry budget: then abandoned. "sent"
// and "abandoned" are final. Workers report attempts at least once, so a
// report about a final message, or repeating a dispatch id already recorded,
// decides no events instead of failing.
//
// The recipient, subject and bodies are personal: the codec keeps them apart
// so the caller seals them with the identity's data key.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/common/result.h"
#include "domain/event/event.h"

namespace mneme::domain::courier {

// Kratos's MessageStatus texts.
inline constexpr const char* kStatusQueued = "queued";
inline constexpr const char* kStatusProcessing = "processing";
inline constexpr const char* kStatusSent = "sent";
inline constexpr const char* kStatusAbandoned = "abandoned";

// Kratos's CourierMessageDispatchStatus texts.
inline constexpr const char* kDispatchFailed = "failed";
inline constexpr const char* kDispatchSuccess = "success";

// Kratos's courier.message_retries default.
inline constexpr int kDefaultMessageRetries = 5;

// One delivery attempt (Kratos's MessageDispatch).
struct Dispatch {
  std::string id;
  std::string status;  // failed | success
  nlohmann::json error;  // null on success; e.g. {"message": "..."} on failure
  Timestamp created_at;
  bool operator==(const Dispatch&) const = default;
};

struct Message {
  std::string id;
  bool exists = false;
  std::string status;  // queued | processing | sent | abandoned ("" before queued)
  std::string type = "email";
  std::string channel = "email";
  std::string template_type;  // e.g. verification_code_valid
  std::string recipient;
  std::string subject;
  std::string body;  // plain text
  std::string html_body;
  std::string identity_id;  // empty when the mail goes to an unknown address
  std::string flow_id;
  int send_count = 0;
  std::vector<Dispatch> dispatches;  // oldest first
  std::string abandon_reason;
  Timestamp created_at;
  Timestamp updated_at;
  bool operator==(const Message&) const = default;
};

// ---- Events (type names are permanent) ----
struct MessageQueued {
  static constexpr const char* kType = "courier.message.queued";
  std::string template_type;
  std::string channel = "email";
  std::string identity_id;
  std::string flow_id;
  std::string recipient;  // personal
  std::string subject;    // personal
  std::string body;       // personal
  std::string html_body;  // personal
};
// A worker took the message off the queue.
struct MessageProcessing {
  static constexpr const char* kType = "courier.message.processing";
};
struct MessageDispatchFailed {
  static constexpr const char* kType = "courier.message.dispatch_failed";
  std::string dispatch_id;
  nlohmann::json error = nlohmann::json::object();  // e.g. {"message": "..."}
  std::string worker;
};
struct MessageSent {
  static constexpr const char* kType = "courier.message.sent";
  std::string dispatch_id;
  std::string worker;
};
struct MessageAbandoned {
  static constexpr const char* kType = "courier.message.abandoned";
  std::string reason;
};

using Event = std::variant<MessageQueued, MessageProcessing, MessageDispatchFailed, MessageSent,
                           MessageAbandoned>;
std::string TypeOf(const Event& e);

// ---- Commands ----
struct QueueMessage {
  std::string template_type;
  std::string identity_id;
  std::string flow_id;
  std::string recipient;
  std::string subject;
  std::string body;
  std::string html_body;
};
struct StartProcessing {};
enum class Failure { kTransient, kPermanent };

// A worker's report of one delivery attempt.
struct RecordAttempt {
  bool ok = false;
  std::string dispatch_id;
  nlohmann::json error = nlohmann::json::object();  // failures: e.g. {"message": "..."}
  std::string worker;
  // Kratos's courier.message_retries: a failure that takes send_count above
  // it abandons the message.
  int max_retries = kDefaultMessageRetries;
  // A permanent refusal (an SMTP 5xx) abandons at once: Kratos means to
  // (courier/smtp_channel.go), though its dispatcher then re-queues it.
  Failure failure = Failure::kTransient;
};
struct Abandon {
  std::string reason;
};

using Command = std::variant<QueueMessage, StartProcessing, RecordAttempt, Abandon>;

// Rules:
//   * QueueMessage on an existing message: kAlreadyExists. Without a
//     recipient or template type: kInvalidArgument.
//   * Any other command on a missing message: kNotFound.
//   * StartProcessing, RecordAttempt and Abandon on a "sent" or "abandoned"
//     message decide no events (a duplicate report, not an error); so does a
//     RecordAttempt whose dispatch_id is recorded already.
//   * RecordAttempt without a dispatch_id: kInvalidArgument.
//   * RecordAttempt ok: [sent]. Failed: [dispatch_failed], plus
//     [abandoned "refused permanently"] for a permanent failure, or
//     [abandoned "max retries exceeded"] when send_count after it exceeds
//     max_retries (Kratos abandons once send_count > courier.message_retries,
//     so with the default 5 the sixth failure abandons).
Result<std::vector<Event>> Decide(const Message& state, const Command& command);
Message Evolve(Message state, const Event& event, Timestamp at);

std::string StreamOf(const std::string& message_id);

// ---- Codec ----
struct EncodedEvent {
  std::string type;
  nlohmann::json plain = nlohmann::json::object();
  nlohmann::json personal;  // null when the event has none
};
EncodedEvent Encode(const Event& event);
// `personal` null (erased identity): recipient, subject and bodies come back
// empty. Errors: kDataLoss (unknown type or malformed payload).
Result<Event> Decode(const std::string& type, const nlohmann::json& plain,
                     const nlohmann::json& personal);

// ---- Kratos's API shape ----
enum class BodyVisibility {
  kShown,     // Kratos with --dev (IsInsecureDevMode)
  kRedacted,  // otherwise: "<redacted-unless-dev-mode>"
};
enum class DispatchDetail {
  kInclude,  // GET /admin/courier/messages/{id} (FetchMessage loads dispatches eagerly)
  kOmit,     // GET /admin/courier/messages (ListMessages does not load them)
};

// Kratos's courier Message JSON, fields in Kratos's order: id, status, type,
// recipient, body, subject, template_type, channel, send_count, dispatches
// (newest first, omitted when there are none), created_at, updated_at. A
// dispatch is {id, message_id, status, error, created_at, updated_at}; a
// successful one has "error": null.
nlohmann::ordered_json ToKratosJson(const Message& message, BodyVisibility body,
                                    DispatchDetail dispatches = DispatchDetail::kInclude);

}  // namespace mneme::domain::courier
