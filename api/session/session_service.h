// SessionService: issuing, authenticating, listing, extending and revoking
// sessions. Issuing and revoking append to session-* streams; reading uses
// only the sessions_v1 and identities_v1 read models, so whoami never writes.
// Tokens ("ory_st_" + 32 alphanumerics, ~190 bits) are handed out once and
// stored only as keyed hashes. Thread-safe (stateless over thread-safe ports).
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/admin/identity_service.h"
#include "domain/common/clock.h"
#include "domain/common/keyed_hash.h"
#include "domain/event/event_store.h"
#include "domain/event/personal_data.h"
#include "domain/event/projection.h"
#include "domain/session/session.h"

namespace mneme::api {

struct SessionOptions {
  int64_t lifespan_micros = 24LL * 3600 * 1000000;
  int64_t earliest_possible_extend_micros = 24LL * 3600 * 1000000;
};

struct IssuedSession {
  domain::session::Session session;
  std::string token;         // ory_st_...
  std::string logout_token;  // ory_lo_...
};

struct AuthenticatedSession {
  domain::session::Session session;
  domain::identity::Identity identity;
};

// The answer of whoami: the session JSON, rendered.
struct WhoamiAnswer {
  std::string identity_id;
  std::string body;
};

struct SessionPage {
  std::vector<domain::session::Session> sessions;
  std::string next_after;  // empty on the last page
};

class SessionService {
 public:
  SessionService(domain::EventStore& store, domain::ProjectionReader& reads,
                 domain::PersonalDataCipher& cipher, const domain::KeyedHasher& hasher,
                 domain::RandomSource& random, domain::Clock& clock, domain::IdGenerator& ids,
                 IdentityService& identities, SessionOptions options)
      : store_(store), reads_(reads), cipher_(cipher), hasher_(hasher), random_(random),
        clock_(clock), ids_(ids), identities_(identities), options_(options) {}

  // Errors: kInvalidArgument, kUnavailable.
  Result<IssuedSession> Issue(const std::string& identity_id,
                              std::vector<domain::session::AuthenticationMethod> methods,
                              domain::session::Device device, const std::string& request_id);

  // The live session of a token, with its active identity.
  // Errors: kUnauthenticated (unknown, revoked or expired token: "No valid
  // session credentials found in the request."), kPermissionDenied (the
  // identity is disabled: "This account was disabled."), kUnavailable.
  Result<AuthenticatedSession> Authenticate(std::string_view token);
  // The logout token of a session, derived from its session token (so it
  // need not be stored in clear); its hash was stored at issue.
  std::string LogoutTokenFor(std::string_view session_token) const;
  // Whoami: Authenticate, rendered with identity and devices. Renders are
  // cached per session and reused while the session's and identity's
  // read-model rows are byte-for-byte unchanged (three point reads, no JSON
  // work on a hit). Errors: as Authenticate.
  Result<WhoamiAnswer> Whoami(std::string_view token);

  // Session id of a logout token (live sessions only). Errors: kNotFound.
  Result<std::string> SessionOfLogoutToken(std::string_view logout_token);

  // Errors: kNotFound.
  Result<domain::session::Session> Get(const std::string& session_id);
  // Revoking a revoked session is a no-op. Errors: kNotFound, kUnavailable.
  Status Revoke(const std::string& session_id, const std::string& reason,
                const std::string& actor, const std::string& request_id);
  // Revokes every live session of the identity except `keep`; the count.
  Result<int> RevokeAllOf(const std::string& identity_id, const std::string& keep,
                          const std::string& reason, const std::string& actor,
                          const std::string& request_id);
  // Errors: kNotFound.
  Result<domain::session::Session> Extend(const std::string& session_id,
                                          const std::string& request_id);

  // Sessions of one identity, newest issue last. `active`: nullopt = all.
  Result<std::vector<domain::session::Session>> OfIdentity(const std::string& identity_id,
                                                           std::optional<bool> active);
  // All sessions in id order (keyset), filtered by `active`.
  Result<SessionPage> List(size_t page_size, const std::string& after, std::optional<bool> active);

  bool IsActive(const domain::session::Session& s) const;

  // Kratos's session JSON. `identity` null: the field is left out.
  nlohmann::json Render(const domain::session::Session& s,
                        const domain::identity::Identity* identity, bool include_devices) const;

  const SessionOptions& options() const { return options_; }

 private:
  std::string NewToken(const std::string& prefix);
  Status Execute(const std::string& session_id, const domain::session::Session& current,
                 const domain::session::Command& command, const std::string& actor,
                 const std::string& request_id);

  domain::EventStore& store_;
  domain::ProjectionReader& reads_;
  domain::PersonalDataCipher& cipher_;
  const domain::KeyedHasher& hasher_;
  domain::RandomSource& random_;
  domain::Clock& clock_;
  domain::IdGenerator& ids_;
  IdentityService& identities_;
  SessionOptions options_;

  struct CachedRender {
    std::string session_row;
    std::string identity_row;
    int64_t expires_at = 0;
    std::string identity_id;
    std::string body;
  };
  static constexpr size_t kCacheShards = 16;
  static constexpr size_t kCachePerShard = 4096;
  struct CacheShard {
    std::mutex mu;
    std::unordered_map<std::string, std::shared_ptr<const CachedRender>> entries;
  };
  std::array<CacheShard, kCacheShards> cache_;
};

}  // namespace mneme::api
