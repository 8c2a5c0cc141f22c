// StatusConsumer: how `mneme serve` ingests the couriers' delivery reports.
// A thread consumes "<prefix>.courier.status" (key: message id, value: the
// report JSON that workers/courier writes; passed on raw, since infra does
// not depend on workers) in a consumer group and calls `ingest` for each
// record, one at a time, in order per partition. A record's offset is
// committed only after `ingest` succeeded for it, so a crash or restart
// re-ingests at most the records since the last commit (ingest must be
// idempotent per message id and report). While ingest returns kUnavailable
// (the store is busy or closing) the same record is retried with a short
// back-off; any other error is logged and the record is skipped. Tombstones
// (a null value: compaction removed a message) are skipped.
//
// Lifecycle: Create() builds the consumer; Start() subscribes and runs the
// thread; Stop() (or the destructor) ends it, commits what was ingested and
// leaves the group. Start() and Stop() belong to one owning thread;
// Ingested() may be read from any thread. `ingest` runs on the consumer's
// thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <spdlog/logger.h>

#include "domain/common/result.h"

struct rd_kafka_s;
struct rd_kafka_message_s;
struct rd_kafka_topic_partition_list_s;

namespace mneme::infra::kafka {

struct StatusConsumerOptions {
  std::string brokers;  // bootstrap.servers
  std::string topic_prefix = "mneme";
  std::string group_id;  // default "<prefix>-status-ingest"
};

// Ingests one report. Errors: kUnavailable means "try again later"; any other
// error drops the record (after logging it).
using StatusIngestFn =
    std::function<Status(const std::string& message_id, const std::string& value)>;

class StatusConsumer {
 public:
  // Errors: kInvalidArgument (empty brokers or a setting librdkafka refuses).
  static Result<std::unique_ptr<StatusConsumer>> Create(StatusConsumerOptions options,
                                                        StatusIngestFn ingest,
                                                        std::shared_ptr<spdlog::logger> log);
  ~StatusConsumer();
  StatusConsumer(const StatusConsumer&) = delete;
  StatusConsumer& operator=(const StatusConsumer&) = delete;
  StatusConsumer(StatusConsumer&&) = delete;
  StatusConsumer& operator=(StatusConsumer&&) = delete;

  // Errors: kInvalidArgument (the subscription was refused).
  Status Start();
  void Stop();

  // Records ingested successfully since Start().
  uint64_t Ingested() const { return ingested_.load(); }

 private:
  struct KafkaDeleter {
    void operator()(rd_kafka_s* k) const;
  };

  StatusConsumer() = default;
  void Run();
  // Ingests one record; false if Stop() interrupted the retries.
  bool Handle(const rd_kafka_message_s& m);
  void OnRebalance(int err, rd_kafka_topic_partition_list_s* partitions);
  enum class CommitMode { kAsync, kSync };
  void CommitStored(CommitMode mode);

  StatusConsumerOptions options_;
  StatusIngestFn ingest_;
  std::shared_ptr<spdlog::logger> log_;
  std::string topic_;
  std::unique_ptr<rd_kafka_s, KafkaDeleter> consumer_;
  bool dirty_ = false;  // consumer thread only: offsets stored since the last commit
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> ingested_{0};
  std::thread thread_;
};

}  // namespace mneme::infra::kafka
