// The event envelope and what an append carries: new events, uniqueness claims
// and data-key operations. Value types; no I/O.
//
// Envelope fields follow the design (position, stream, version, type, schema,
// time, actor, request_id, data). `data` is the JSON text of the payload;
// personal data inside it is sealed by the caller before it gets here.
#pragma once

#include <any>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/common/strong_id.h"

namespace mneme::domain {

// Microseconds since the Unix epoch, UTC.
struct Timestamp {
  int64_t micros = 0;
  auto operator<=>(const Timestamp&) const = default;
};

struct EventEnvelope {
  GlobalPosition position;
  std::string stream;  // "identity-<uuid>", "session-<uuid>", ...
  StreamVersion version;
  std::string type;    // stable dotted name, never renamed
  uint32_t schema = 1; // payload schema version, for upcasting
  Timestamp time;
  std::string actor;       // identity id, "admin" or "system"
  std::string request_id;  // the HTTP request that caused it
  std::string data;        // JSON text
  // In-process only, never stored: the appender's decoded form of `data`
  // (e.g. a domain::identity::Event), so inline projections need not decode
  // what the appender just encoded. Null when read back from the log.
  const std::any* decoded = nullptr;

  bool operator==(const EventEnvelope& o) const {
    return position == o.position && stream == o.stream && version == o.version &&
           type == o.type && schema == o.schema && time == o.time && actor == o.actor &&
           request_id == o.request_id && data == o.data;
  }
};

// An event to append; the store assigns position and version.
struct NewEvent {
  std::string type;
  uint32_t schema = 1;
  Timestamp time;
  std::string actor;
  std::string request_id;
  std::string data;
  std::any decoded;  // optional, see EventEnvelope::decoded
};

// What the appender expects the stream's current version to be.
class ExpectedVersion {
 public:
  static ExpectedVersion Any() { return ExpectedVersion(kAny); }
  static ExpectedVersion NoStream() { return ExpectedVersion(0); }
  static ExpectedVersion Exact(uint64_t v) { return ExpectedVersion(v); }

  bool is_any() const { return value_ == kAny; }
  uint64_t value() const { return value_; }

 private:
  static constexpr uint64_t kAny = UINT64_MAX;
  explicit ExpectedVersion(uint64_t v) : value_(v) {}
  uint64_t value_;
};

enum class ClaimAction { kClaim, kRelease };

// A uniqueness claim: (kind, normalized value) owned by the appending stream.
// Claiming a value the same stream holds is a no-op; one held by another
// stream fails the append with kAlreadyExists. Releasing a value the stream
// does not hold is a no-op; one held by another stream is kFailedPrecondition.
struct Claim {
  ClaimAction action = ClaimAction::kClaim;
  std::string kind;   // e.g. "identifier.password", "address.email"
  std::string value;  // already normalized by the caller
};

enum class DataKeyAction { kPut, kDelete };

// A per-identity data key (already wrapped by the key-encryption key),
// written or deleted in the same batch as the events.
struct DataKeyOp {
  DataKeyAction action = DataKeyAction::kPut;
  std::string owner;        // identity id
  std::string wrapped_key;  // empty for kDelete
};

struct AppendRequest {
  std::string stream;
  ExpectedVersion expected = ExpectedVersion::Any();
  std::vector<NewEvent> events;
  std::vector<Claim> claims;
  std::vector<DataKeyOp> data_keys;
};

struct AppendResult {
  GlobalPosition first_position;  // position of the first appended event
  GlobalPosition last_position;
  StreamVersion last_version;     // stream version after the append
};

}  // namespace mneme::domain
