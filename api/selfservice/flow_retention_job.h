// FlowRetentionJob: drops the data keys of flows that never concerned an
// identity, `grace` after they expired (mneme.retention.unlinked_flows,
// default 1h), checking every `interval` (mneme.retention.interval, default
// 5m). Each flow gets flow.data_expired with its key's deletion in one append
// (FlowRepository::ExpireData); the relay tombstones the key on the keys
// topic. Runs on the writer (`mneme serve`); Start()/Stop() or the destructor.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include <spdlog/logger.h>

#include "api/selfservice/flow_repository.h"
#include "domain/common/clock.h"
#include "domain/event/projection.h"

namespace mneme::api {

struct FlowRetentionOptions {
  std::chrono::microseconds grace{std::chrono::hours(1)};
  std::chrono::milliseconds interval{std::chrono::minutes(5)};
};

class FlowRetentionJob {
 public:
  FlowRetentionJob(FlowRepository& flows, domain::ProjectionReader& reads, domain::Clock& clock,
                   FlowRetentionOptions options, std::shared_ptr<spdlog::logger> log);
  ~FlowRetentionJob();
  FlowRetentionJob(const FlowRetentionJob&) = delete;
  FlowRetentionJob& operator=(const FlowRetentionJob&) = delete;

  // One pass: expires the data of every due flow. Returns how many.
  // Errors: kUnavailable.
  Result<size_t> RunOnce();

  void Start();
  void Stop();

 private:
  FlowRepository& flows_;
  domain::ProjectionReader& reads_;
  domain::Clock& clock_;
  FlowRetentionOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool running_ = false;
  std::thread thread_;
};

}  // namespace mneme::api
