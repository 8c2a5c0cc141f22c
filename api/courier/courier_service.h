// CourierService: courier messages on the writer. Renders a template into a
// message and queues it (courier.message.queued on "message-<id>", the mail
// sealed with the mail vault), folds messages from their streams, records
// delivery attempts (the embedded courier's and, ingested from
// "<prefix>.courier.status", the standalone couriers'), and serves Kratos's
// admin API: GET /admin/courier/messages and /admin/courier/messages/{id}.
//
// Mail throttling (security checklist 27): each recipient address has a
// token bucket (default 5 mails, one more every 2 minutes); a mail over it is
// not queued (Queue answers kResourceExhausted and the caller answers as if it
// was sent, so nothing is revealed). Thread-safe.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/http/router.h"
#include "domain/common/clock.h"
#include "domain/courier/message.h"
#include "domain/courier/templates.h"
#include "domain/event/event_store.h"
#include "domain/event/personal_data.h"
#include "domain/event/projection.h"
#include "domain/throttle/client_limiter.h"

namespace mneme::api {

struct CourierConfig {
  bool dev = false;  // bodies shown by the admin API (Kratos's --dev)
  int message_retries = domain::courier::kDefaultMessageRetries;
  domain::courier::TemplateOverrides templates;
  domain::throttle::ClientLimiterOptions mail_limit{5, 1.0 / 120, 100'000};
  bool throttle_mail = true;
};

struct QueueRequest {
  std::string template_type;
  std::string recipient;
  nlohmann::json data = nlohmann::json::object();  // the template's data (To is added)
  std::string identity_id;
  std::string flow_id;
  std::string request_id;
};

class CourierService {
 public:
  CourierService(domain::EventStore& store, domain::ProjectionReader& reads,
                 domain::PersonalDataCipher& mail_cipher, domain::Clock& clock,
                 domain::IdGenerator& ids, CourierConfig config);

  // The new message's id. Errors: kResourceExhausted (the recipient was sent
  // too many mails lately: nothing queued), kInvalidArgument (the template
  // does not render), kUnavailable.
  Result<std::string> Queue(const QueueRequest& request);
  // Errors: kNotFound, kDataLoss, kUnavailable.
  Result<domain::courier::Message> Load(const std::string& id);
  // Decides `command` on the message and appends, retrying on concurrent
  // writers. Returns the state after. Errors: as Decide, kUnavailable.
  Result<domain::courier::Message> Execute(const std::string& id,
                                           const domain::courier::Command& command,
                                           const std::string& actor);
  // A standalone courier's delivery report (workers::courier::DispatchReport
  // JSON): records each attempt once, then the outcome. Idempotent.
  // Errors: kDataLoss (not a report), kUnavailable.
  Status IngestReport(const std::string& message_id, const std::string& report);
  // Ids of queued (or processing) messages, up to `limit`.
  Result<std::vector<std::string>> Pending(size_t limit);

  int message_retries() const { return config_.message_retries; }

  void AddAdminRoutes(Router& router);

 private:
  struct Folded {
    domain::courier::Message message;
    uint64_t version = 0;  // events in the stream
  };
  // The message and its stream's version, from one read of the stream.
  Result<Folded> Fold(const std::string& id);

  domain::EventStore& store_;
  domain::ProjectionReader& reads_;
  domain::PersonalDataCipher& cipher_;
  domain::Clock& clock_;
  domain::IdGenerator& ids_;
  CourierConfig config_;
  domain::throttle::ClientLimiter mail_limiter_;
};

}  // namespace mneme::api
