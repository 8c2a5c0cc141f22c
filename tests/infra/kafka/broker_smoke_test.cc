// The development broker that scripts/kafka starts speaks with Debian's
// librdkafka: an idempotent, acks=all producer's message comes back to a
// consumer group with its key and headers. Needs MNEME_KAFKA_BOOTSTRAP
// (scripts/test starts the broker on a free port and sets it).
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include "tests/support/test_support.h"

namespace mneme::infra {
namespace {

struct KafkaDeleter {
  void operator()(rd_kafka_t* k) const { rd_kafka_destroy(k); }
};
using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

std::string Bootstrap() {
  const char* b = std::getenv("MNEME_KAFKA_BOOTSTRAP");
  return b ? b : "";
}

rd_kafka_conf_t* Conf(std::initializer_list<std::pair<const char*, std::string>> entries) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& [k, v] : entries) {
    EXPECT_EQ(rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof(err)), RD_KAFKA_CONF_OK) << err;
  }
  return conf;
}

TEST(KafkaBrokerSmokeTest, IdempotentProduceAndConsumeRoundTrip) {
  ASSERT_FALSE(Bootstrap().empty()) << "scripts/test sets MNEME_KAFKA_BOOTSTRAP";
  const std::string topic = "mneme.smoke." + std::to_string(std::time(nullptr));
  char err[512];

  static int delivered_error = -1;
  rd_kafka_conf_t* pconf = Conf({{"bootstrap.servers", Bootstrap()},
                                 {"enable.idempotence", "true"},
                                 {"acks", "all"}});
  rd_kafka_conf_set_dr_msg_cb(pconf, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
    delivered_error = m->err;
  });
  KafkaPtr producer(rd_kafka_new(RD_KAFKA_PRODUCER, pconf, err, sizeof(err)));
  ASSERT_TRUE(producer) << err;
  const std::string key = "identity-0b5e", value = R"({"type":"identity.created"})";
  auto produced = rd_kafka_producev(
      producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
      RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
      RD_KAFKA_V_HEADER("position", "42", 2), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_END);
  ASSERT_EQ(produced, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(produced);
  ASSERT_EQ(rd_kafka_flush(producer.get(), 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(delivered_error, 0) << "delivery report";

  rd_kafka_conf_t* cconf = Conf({{"bootstrap.servers", Bootstrap()},
                                 {"group.id", topic + ".group"},
                                 {"auto.offset.reset", "earliest"},
                                 {"enable.auto.commit", "false"}});
  KafkaPtr consumer(rd_kafka_new(RD_KAFKA_CONSUMER, cconf, err, sizeof(err)));
  ASSERT_TRUE(consumer) << err;
  rd_kafka_poll_set_consumer(consumer.get());
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
  ASSERT_EQ(rd_kafka_subscribe(consumer.get(), topics), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(topics);
  bool got = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!got && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 500);
    if (!m) {
      continue;
    }
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      EXPECT_EQ(std::string(static_cast<char*>(m->key), m->key_len), key);
      EXPECT_EQ(std::string(static_cast<char*>(m->payload), m->len), value);
      rd_kafka_headers_t* headers = nullptr;
      ASSERT_EQ(rd_kafka_message_headers(m, &headers), RD_KAFKA_RESP_ERR_NO_ERROR);
      const void* hv = nullptr;
      size_t hs = 0;
      ASSERT_EQ(rd_kafka_header_get_last(headers, "position", &hv, &hs), RD_KAFKA_RESP_ERR_NO_ERROR);
      EXPECT_EQ(std::string(static_cast<const char*>(hv), hs), "42");
      got = true;
    }
    rd_kafka_message_destroy(m);
  }
  EXPECT_TRUE(got) << "the message came back";
  rd_kafka_consumer_close(consumer.get());
}

}  // namespace
}  // namespace mneme::infra
