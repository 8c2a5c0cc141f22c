// KafkaCourier: the standalone courier's consumer-group loop. It consumes
// "<prefix>.courier" (key: message id, value: the queued message, opaque
// here) in a consumer group, hands each record to a DispatchFn on a pool of
// worker threads, and produces the DispatchReport as JSON to
// "<prefix>.courier.status" (key: message id) with an idempotent, acks=all
// producer. `mneme serve` reads that topic back (infra/kafka/status_consumer.h)
// and appends the result to the log.
//
// At-least-once: the offset of a record is committed (offset + 1) only once
// its report and the reports of all earlier records of the same partition
// were delivered, so nothing unreported is ever skipped. On a rebalance or a
// stop the courier stops taking records of the partitions it gives up, drops
// the ones not yet started, waits for the ones in flight to be reported,
// commits synchronously, and only then acknowledges the revocation: the next
// owner starts right after the last reported record and sends nothing twice.
// While running, a commit goes out as soon as a report is delivered (and at
// least every 200 ms), so a crash (or a lost partition) redelivers only the
// records in flight: being sent, being reported, or behind an earlier record
// of their partition still in flight. DispatchReports are deduplicated
// downstream by message id. A killed member's partitions move after the
// session timeout (10 s).
// Records without a key or with an empty value are logged, skipped and
// committed.
//
// Rebalancing uses the classic group protocol with the cooperative-sticky
// assignor (librdkafka 2.0 does not speak KIP-848; Kafka 4 still serves the
// classic protocol), so a courier joining or leaving moves only the
// partitions that have to move.
//
// Lifecycle: Create() builds both Kafka clients; Run() subscribes, starts the
// worker and delivery threads and blocks until `stop` becomes true (or the
// producer hits a fatal error), then finishes the records in flight, commits,
// leaves the group and joins its threads. Run() is called at most once.
// Thread-safety: Processed() and AssignedPartitions() may be called from any
// thread while Run() blocks; everything else belongs to the thread that calls
// Run(). The DispatchFn is called concurrently from `concurrency` threads and
// must not throw.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include "domain/common/result.h"

struct rd_kafka_s;
struct rd_kafka_message_s;
struct rd_kafka_topic_partition_list_s;

namespace mneme::workers::courier {

// One record of "<prefix>.courier".
struct CourierRecord {
  std::string message_id;  // the Kafka key
  std::string value;       // the record value, opaque here
  int32_t partition = 0;
  int64_t offset = 0;
};

// What became of one message, as reported on "<prefix>.courier.status".
struct DispatchReport {
  std::string message_id;
  std::string status;  // "sent" | "abandoned"
  // [{"id", "status": "failed"|"success", "error": {...}, "at": micros}]
  nlohmann::json dispatches = nlohmann::json::array();
  std::string worker;
};

nlohmann::json ToJson(const DispatchReport& report);
// Errors: kDataLoss (not JSON, or not the shape ToJson writes).
Result<DispatchReport> DispatchReportFromJson(const std::string& text);

// Sends one message, retrying as it sees fit, and says what became of it.
// Blocking; called from the worker threads; must not throw. The report's
// message_id is always the record's; an empty worker becomes the courier's.
using DispatchFn = std::function<DispatchReport(const CourierRecord&)>;

struct KafkaCourierOptions {
  std::string brokers;  // bootstrap.servers
  std::string topic_prefix = "mneme";
  std::string group_id;   // default "<prefix>-courier"
  std::string worker_id;  // default "<hostname>-<pid>"; also the Kafka client.id
  size_t concurrency = 16;
  // Records taken but not yet reported; above it the courier pauses its
  // partitions (and resumes below half of it). At least 2 * concurrency.
  size_t max_buffered = 1024;
};

class KafkaCourier {
 public:
  // Errors: kInvalidArgument (empty brokers, zero concurrency, or a setting
  // librdkafka refuses).
  static Result<std::unique_ptr<KafkaCourier>> Create(KafkaCourierOptions options,
                                                      DispatchFn dispatch,
                                                      std::shared_ptr<spdlog::logger> log);
  ~KafkaCourier();
  KafkaCourier(const KafkaCourier&) = delete;
  KafkaCourier& operator=(const KafkaCourier&) = delete;
  KafkaCourier(KafkaCourier&&) = delete;
  KafkaCourier& operator=(KafkaCourier&&) = delete;

  // Consumes until `stop` is true, then drains what is in flight, commits and
  // leaves the group. Records taken but not started are left for redelivery.
  // Errors: kUnavailable (the producer hit a fatal error: the reports in
  // flight are not committed and will be redelivered to the next owner),
  // kInvalidArgument (the subscription was refused).
  Status Run(const std::atomic<bool>& stop);

  // Records whose report Kafka acknowledged.
  uint64_t Processed() const { return processed_.load(); }
  // Partitions currently assigned to this courier.
  size_t AssignedPartitions() const { return assigned_.load(); }
  const std::string& worker_id() const { return options_.worker_id; }

 private:
  // Destroys only: the producer is flushed (and purged) by ~KafkaCourier,
  // while the members its delivery callbacks touch are still alive.
  struct KafkaDeleter {
    void operator()(rd_kafka_s* k) const;
  };
  // A record taken from Kafka and not yet committed.
  struct Job {
    CourierRecord record;
    uint64_t epoch = 0;
  };
  // A report on its way to the status topic (the delivery opaque).
  struct Delivery {
    int32_t partition = 0;
    int64_t offset = 0;
    uint64_t epoch = 0;
    std::string key;
    std::string value;
  };
  // Bookkeeping of one assigned partition.
  struct PartitionState {
    uint64_t epoch = 0;               // tells this assignment from earlier ones
    std::map<int64_t, bool> offsets;  // taken, above the commit point -> reported (or skipped)
    size_t in_flight = 0;             // started, report not yet delivered
    bool revoked = false;
    int64_t commit_next = -1;  // offset + 1 of the reported prefix (-1: none yet)
    int64_t requested = -1;    // commit_next last sent to the coordinator
    int64_t committed = -1;    // last commit the coordinator acknowledged
  };

  KafkaCourier() = default;

  void Take(rd_kafka_message_s* m);
  void WorkerLoop();
  void DeliveryLoop();
  void Produce(std::unique_ptr<Delivery> d);
  void OnDelivery(std::unique_ptr<Delivery> d, int err);
  void OnRebalance(int err, rd_kafka_topic_partition_list_s* partitions);
  void Assign(rd_kafka_topic_partition_list_s* partitions);
  void Revoke(rd_kafka_topic_partition_list_s* partitions);
  enum class DrainMode { kWaitForInFlight, kDropQueuedOnly };
  // Removes the queued jobs of `partitions` (all when empty) and, with
  // kWaitForInFlight, waits until their records in flight are reported (or
  // the producer failed for good).
  void Drain(const std::vector<int32_t>& partitions, DrainMode mode);
  enum class CommitMode { kAsync, kSync };
  // Commits the reported prefix of `partitions` (all assigned when empty).
  void Commit(const std::vector<int32_t>& partitions, CommitMode mode);
  void OnCommitted(int err, rd_kafka_topic_partition_list_s* offsets);
  void PauseOrResume();
  void ReportProgress();

  KafkaCourierOptions options_;
  DispatchFn dispatch_;
  std::shared_ptr<spdlog::logger> log_;
  std::string topic_;
  std::string status_topic_;
  std::unique_ptr<rd_kafka_s, KafkaDeleter> producer_;
  std::unique_ptr<rd_kafka_s, KafkaDeleter> consumer_;

  mutable std::mutex mu_;  // guards everything below up to the atomics
  std::condition_variable work_cv_;  // a job was queued, or the workers must stop
  std::condition_variable done_cv_;  // a report was delivered (or the producer failed)
  std::deque<Job> queue_;
  std::map<int32_t, PartitionState> partitions_;
  std::vector<std::unique_ptr<Delivery>> retry_;  // failed deliveries to produce again
  size_t outstanding_ = 0;  // queued + in flight, for back-pressure
  uint64_t next_epoch_ = 1;
  bool workers_stop_ = false;
  bool paused_ = false;  // main thread only

  std::atomic<uint64_t> processed_{0};
  std::atomic<uint64_t> skipped_{0};
  std::atomic<size_t> assigned_{0};
  std::atomic<bool> commit_due_{false};  // a report was delivered since the last commit
  std::atomic<bool> fatal_{false};
  std::atomic<bool> delivery_stop_{false};
  uint64_t reported_processed_ = 0;  // main thread only
  std::vector<std::thread> workers_;
  std::thread delivery_thread_;
};

}  // namespace mneme::workers::courier
