// EventRelay: mirrors the committed log to Kafka. A thread follows positions
// from the relay's checkpoint (meta "relay_position") and produces each event
// to "<prefix>.events" (key: stream; headers: position, type, version) with
// an idempotent producer and acks=all. The checkpoint advances only over
// positions whose delivery reports came back successful, so a relay stopped
// or killed at any point resumes without losing an event (consumers dedupe
// by the position header). Kafka is a mirror, never read back as truth.
//
// Mail: each courier.message.queued event also goes to "<prefix>.courier"
// (key: the message id, value: the event's data, the mail sealed with the
// mail vault) for the standalone couriers.
//
// Data keys travel on the compacted "<prefix>.keys" topic (key: owner, value:
// the wrapped key): the first event of an identity or flow stream publishes
// its owner's key, identity.erased publishes a tombstone for every key the
// erasure destroyed (its "data_keys"), and flow.data_expired (the retention
// job) one for its flow's key. An event counts as delivered only when
// its key messages are delivered too.
//
// Lifecycle: Create() builds the producer (the rd_kafka_conf_t is released to
// librdkafka only once rd_kafka_new succeeded); Start() runs the thread;
// Stop() (or the destructor) stops it, flushes outstanding messages and
// records the checkpoint. Thread-safe: Lag() may be called from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <map>
#include <set>
#include <vector>
#include <string>
#include <thread>

#include <spdlog/logger.h>

#include "domain/common/result.h"
#include "infra/store/rocks_event_store.h"

struct rd_kafka_s;

namespace mneme::infra::kafka {

struct RelayOptions {
  std::string brokers;            // bootstrap.servers
  std::string topic_prefix = "mneme";
  size_t batch = 1000;            // events read per pass
};

class EventRelay {
 public:
  // Errors: kInvalidArgument (bad librdkafka configuration).
  static Result<std::unique_ptr<EventRelay>> Create(RelayOptions options,
                                                    store::RocksEventStore& store,
                                                    std::shared_ptr<spdlog::logger> log);
  ~EventRelay();
  EventRelay(const EventRelay&) = delete;
  EventRelay& operator=(const EventRelay&) = delete;

  void Start();
  void Stop();

  // Events committed to the log but not yet confirmed by Kafka.
  uint64_t Lag() const;
  uint64_t Checkpoint() const { return checkpoint_.load(); }

 private:
  EventRelay() = default;
  void Run();
  void OnDelivery(uint64_t position, bool ok);
  void SaveCheckpoint();
  // (owner, wrapped key or nullopt for a tombstone) to publish with an event.
  std::vector<std::pair<std::string, std::optional<std::string>>> KeyMessagesFor(
      const domain::EventEnvelope& e);

  struct KafkaDeleter {
    void operator()(rd_kafka_s* k) const;
  };

  RelayOptions options_;
  store::RocksEventStore* store_ = nullptr;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<rd_kafka_s, KafkaDeleter> producer_;
  std::string topic_;
  std::string keys_topic_;
  std::string courier_topic_;

  std::mutex mu_;                 // guards delivered_ and next_
  std::set<uint64_t> delivered_;  // delivered positions above the checkpoint
  std::map<uint64_t, int> parts_left_;  // positions with messages still in flight
  uint64_t next_ = 1;             // next position to produce
  std::atomic<uint64_t> checkpoint_{0};
  std::atomic<bool> failed_{false};
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace mneme::infra::kafka
