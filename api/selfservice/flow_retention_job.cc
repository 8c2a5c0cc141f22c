#include "api/selfservice/flow_retention_job.h"

#include "projections/flow_retention.h"

namespace mneme::api {

FlowRetentionJob::FlowRetentionJob(FlowRepository& flows, domain::ProjectionReader& reads,
                                   domain::Clock& clock, FlowRetentionOptions options,
                                   std::shared_ptr<spdlog::logger> log)
    : flows_(flows), reads_(reads), clock_(clock), options_(options), log_(std::move(log)) {}

FlowRetentionJob::~FlowRetentionJob() { Stop(); }

Result<size_t> FlowRetentionJob::RunOnce() {
  const domain::Timestamp due{clock_.Now().micros - options_.grace.count()};
  const std::string bound = projections::FlowRetention::ExpiryBound(due);
  size_t done = 0;
  while (true) {
    MNEME_TRY(auto rows, reads_.ScanRows(projections::FlowRetention::kName, "e/", "e/", 500));
    size_t taken = 0;
    for (const auto& [key, value] : rows) {
      if (key >= bound) {
        break;
      }
      ++taken;
      MNEME_RETURN_IF_ERROR(flows_.ExpireData(projections::FlowRetention::FlowOf(key), ""));
      ++done;
    }
    if (taken < 500) {
      break;
    }
  }
  if (done > 0) {
    log_->info("retention: expired the data of unlinked flows count={}", done);
  }
  return done;
}

void FlowRetentionJob::Start() {
  {
    std::lock_guard lock(mu_);
    if (running_) {
      return;
    }
    running_ = true;
  }
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (running_) {
      lock.unlock();
      auto done = RunOnce();
      if (!done) {
        log_->warn("retention pass failed: {}", done.error().message());
      }
      lock.lock();
      wake_.wait_for(lock, options_.interval, [this] { return !running_; });
    }
  });
}

void FlowRetentionJob::Stop() {
  {
    std::lock_guard lock(mu_);
    running_ = false;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

}  // namespace mneme::api
