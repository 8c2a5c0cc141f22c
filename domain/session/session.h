// The session aggregate: a signed-in identity's session, its events and the
// pure Decide/Evolve rules. Stream: "session-<uuid>". No I/O; value types,
// thread-safe.
//
// The session token and logout token never enter the log: only their keyed
// hashes (computed by the caller with secrets.default) do. Devices (IP
// address, user agent, location) are personal data: the codec keeps them
// apart so the caller seals them with the identity's data key.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "domain/common/result.h"
#include "domain/event/event.h"

namespace mneme::domain::session {

struct AuthenticationMethod {
  std::string method;  // password, code_recovery, ...
  std::string aal;     // aal1 | aal2
  Timestamp completed_at;
  bool operator==(const AuthenticationMethod&) const = default;
};

struct Device {
  std::string id;
  std::string ip_address;
  std::string user_agent;
  std::string location;
  bool operator==(const Device&) const = default;
};

struct Session {
  std::string id;
  bool exists = false;
  std::string identity_id;
  std::string token_hash;         // hex keyed hash of the session token
  std::string logout_token_hash;  // hex keyed hash of the logout token
  std::string aal = "aal1";
  std::vector<AuthenticationMethod> methods;
  Timestamp issued_at;
  Timestamp authenticated_at;
  Timestamp expires_at;
  std::vector<Device> devices;
  bool revoked = false;
  std::optional<Timestamp> revoked_at;
  std::string revoke_reason;
  bool operator==(const Session&) const = default;
};

// Live: issued, not revoked, not expired at `now`. (Whether its identity is
// active is the reader's check: the identity is another aggregate.)
bool IsLive(const Session& s, Timestamp now);

// The AAL a list of completed methods reaches (Kratos's
// SetAuthenticatorAssuranceLevel): aal2 when an aal1 and an aal2 method are
// present, aal1 when any aal1 method is, else aal0.
std::string AalOf(const std::vector<AuthenticationMethod>& methods);

// ---- Events (type names are permanent) ----
struct SessionIssued {
  static constexpr const char* kType = "session.issued";
  std::string identity_id;
  std::string token_hash;
  std::string logout_token_hash;
  std::string aal;
  std::vector<AuthenticationMethod> methods;
  Timestamp authenticated_at;
  Timestamp expires_at;
  std::vector<Device> devices;  // personal
};
struct SessionRevoked {
  static constexpr const char* kType = "session.revoked";
  std::string reason;  // logout | self | admin | identity_sessions | revoke_active_sessions
};
struct SessionExtended {
  static constexpr const char* kType = "session.extended";
  Timestamp expires_at;
};

using Event = std::variant<SessionIssued, SessionRevoked, SessionExtended>;
std::string TypeOf(const Event& e);

// ---- Commands ----
struct IssueSession {
  std::string identity_id;
  std::string token_hash;
  std::string logout_token_hash;
  std::vector<AuthenticationMethod> methods;
  Timestamp now;
  int64_t lifespan_micros = 0;
  std::vector<Device> devices;
};
struct RevokeSession {
  std::string reason;
};
// Kratos's ExtendSession: a no-op unless the session expires within
// `earliest_possible_extend` of now; then expires_at = now + lifespan.
struct ExtendSession {
  Timestamp now;
  int64_t lifespan_micros = 0;
  int64_t earliest_possible_extend_micros = 0;
};

using Command = std::variant<IssueSession, RevokeSession, ExtendSession>;

// Errors: kAlreadyExists (issue on an existing session), kNotFound (revoke or
// extend a session that does not exist), kInvalidArgument (a lifespan <= 0,
// no identity). Revoking a revoked session, or extending outside the window,
// decides no events.
Result<std::vector<Event>> Decide(const Session& state, const Command& command);
Session Evolve(Session state, const Event& event, Timestamp at);

std::string StreamOf(const std::string& session_id);

// ---- Codec ----
struct EncodedEvent {
  std::string type;
  nlohmann::json plain = nlohmann::json::object();
  nlohmann::json personal;  // null when the event has none
};
EncodedEvent Encode(const Event& event);
// `personal` null (erased identity): devices come back empty.
// Errors: kDataLoss (unknown type or malformed payload).
Result<Event> Decode(const std::string& type, const nlohmann::json& plain,
                     const nlohmann::json& personal);

// The read-model row of a session (everything, devices included).
nlohmann::json ToJson(const Session& s);
// Errors: kDataLoss.
Result<Session> FromJson(const nlohmann::json& row);

}  // namespace mneme::domain::session
