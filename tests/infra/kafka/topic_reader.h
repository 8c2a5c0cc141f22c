// Test helper: reads Kafka topics of the broker that scripts/test starts
// (MNEME_KAFKA_BOOTSTRAP) from the beginning, with a fresh consumer group.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace mneme::testing {

// Calls `on_message` for each message of `topics` until `want` messages
// arrived or `quiet` passed without any.
inline void ReadTopics(const std::vector<std::string>& topics, size_t want,
                       std::chrono::seconds quiet,
                       const std::function<void(rd_kafka_message_t*)>& on_message) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::string group = "test-reader-" + std::to_string(std::rand());
  rd_kafka_conf_set(conf, "bootstrap.servers", std::getenv("MNEME_KAFKA_BOOTSTRAP"), err, sizeof(err));
  rd_kafka_conf_set(conf, "group.id", group.c_str(), err, sizeof(err));
  rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof(err));
  rd_kafka_t* c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  rd_kafka_poll_set_consumer(c);
  auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()));
  for (const auto& t : topics) {
    rd_kafka_topic_partition_list_add(list, t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  rd_kafka_subscribe(c, list);
  rd_kafka_topic_partition_list_destroy(list);
  size_t seen = 0;
  auto last = std::chrono::steady_clock::now();
  while (seen < want && std::chrono::steady_clock::now() - last < quiet) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(c, 200);
    if (!m) {
      continue;
    }
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      on_message(m);
      ++seen;
      last = std::chrono::steady_clock::now();
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
}

}  // namespace mneme::testing
