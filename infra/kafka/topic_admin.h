// Topic creation for mneme's Kafka topics (what `mneme-migrate` prepares when
// Kafka is configured): `<prefix>.events` (the mirror of the log, retention as
// configured), `<prefix>.courier` (mail to send), and the compacted
// `<prefix>.courier.status` and `<prefix>.keys` (last value per key; an
// erasure is a tombstone there). Uses librdkafka's admin API. Thread-safe:
// each call makes its own client.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "domain/common/result.h"

namespace mneme::infra::kafka {

struct TopicSpec {
  std::string name;
  int partitions = 6;
  int replication_factor = 1;
  std::vector<std::pair<std::string, std::string>> configs;  // e.g. cleanup.policy=compact
};

enum class TopicOutcome { kCreated, kExisted };

struct TopicResult {
  std::string name;
  TopicOutcome outcome;
};

struct KafkaTopicsOptions {
  std::string prefix = "mneme";
  int partitions = 6;
  int replication_factor = 1;
  int64_t events_retention_ms = -1;  // -1: keep for good (the log is the audit trail)
};

// mneme's topics with their settings.
std::vector<TopicSpec> MnemeTopics(const KafkaTopicsOptions& options);

// Creates the topics that do not exist yet; existing ones are left alone.
// Errors: kUnavailable (no broker answered in time), kInvalidArgument (the
// broker refused a setting, e.g. more replicas than brokers).
Result<std::vector<TopicResult>> EnsureTopics(const std::string& brokers,
                                              const std::vector<TopicSpec>& topics,
                                              std::chrono::milliseconds timeout);

// The cleanup.policy and partition count of an existing topic, for checks.
struct TopicDescription {
  int partitions = 0;
  std::string cleanup_policy;
};
// Errors: kNotFound, kUnavailable.
Result<TopicDescription> DescribeTopic(const std::string& brokers, const std::string& name,
                                       std::chrono::milliseconds timeout);

}  // namespace mneme::infra::kafka
