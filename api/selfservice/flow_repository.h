// FlowRepository: loads self-service flows by folding their streams and
// appends their events, sealing the personal parts (request URL, submitted
// values) with a data key of the flow's own. Thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "domain/common/clock.h"
#include "domain/event/event_store.h"
#include "domain/event/personal_data.h"
#include "domain/flow/flow.h"

namespace mneme::api {

class FlowRepository {
 public:
  FlowRepository(domain::EventStore& store, domain::PersonalDataCipher& cipher,
                 domain::Clock& clock)
      : store_(store), cipher_(cipher), clock_(clock) {}

  // Errors: kNotFound (no such flow), kDataLoss, kUnavailable.
  Result<domain::flow::Flow> Load(const std::string& id);
  // Decides `command` on `flow`, appends, and returns the new state.
  // Errors: those of domain::flow::Decide; kAborted (a concurrent submission
  // changed the flow first); kUnavailable.
  Result<domain::flow::Flow> Execute(const domain::flow::Flow& flow,
                                     const domain::flow::Command& command,
                                     const std::string& actor, const std::string& request_id);

  // Drops the flow's data key (flow.data_expired with the key deletion, in one
  // append): its personal parts can no longer be read. For flows that never
  // concerned an identity, after their lifespan (FlowRetention).
  // Errors: kUnavailable.
  Status ExpireData(const std::string& id, const std::string& request_id);

  // User-facing errors of browser flows (Kratos's self-service errors):
  // stream "selfservice-error-<id>", one event "selfservice.error_recorded".
  // Errors: kUnavailable.
  Result<std::string> RecordError(const std::string& id, const nlohmann::json& error,
                                  const std::string& request_id);
  struct StoredError {
    nlohmann::json error;
    domain::Timestamp at;
  };
  // Errors: kNotFound, kDataLoss, kUnavailable.
  Result<StoredError> LoadError(const std::string& id);

 private:
  domain::EventStore& store_;
  domain::PersonalDataCipher& cipher_;
  domain::Clock& clock_;
};

}  // namespace mneme::api
