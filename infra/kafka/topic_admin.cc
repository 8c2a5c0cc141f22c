#include "infra/kafka/topic_admin.h"

#include <librdkafka/rdkafka.h>

#include <memory>

namespace mneme::infra::kafka {
namespace {

struct ClientDeleter {
  void operator()(rd_kafka_t* k) const { rd_kafka_destroy(k); }
};
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
struct NewTopicDeleter {
  void operator()(rd_kafka_NewTopic_t* t) const { rd_kafka_NewTopic_destroy(t); }
};
struct OptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};
struct ResourceDeleter {
  void operator()(rd_kafka_ConfigResource_t* r) const { rd_kafka_ConfigResource_destroy(r); }
};
struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* m) const { rd_kafka_metadata_destroy(m); }
};

using Client = std::unique_ptr<rd_kafka_t, ClientDeleter>;

Result<Client> MakeClient(const std::string& brokers) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof err) !=
      RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return MakeError(Code::kInvalidArgument, std::string("kafka: ") + err);
  }
  rd_kafka_t* k = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!k) {
    rd_kafka_conf_destroy(conf);  // still ours: rd_kafka_new failed
    return MakeError(Code::kInvalidArgument, std::string("kafka: ") + err);
  }
  return Client(k);
}

// Waits for the admin result of `type` on `queue`.
std::unique_ptr<rd_kafka_event_t, EventDeleter> Await(rd_kafka_queue_t* queue,
                                                      rd_kafka_event_type_t type,
                                                      std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<rd_kafka_event_t, EventDeleter> ev(rd_kafka_queue_poll(queue, 100));
    if (ev && rd_kafka_event_type(ev.get()) == type) {
      return ev;
    }
  }
  return nullptr;
}

}  // namespace

std::vector<TopicSpec> MnemeTopics(const KafkaTopicsOptions& o) {
  const std::string retention = std::to_string(o.events_retention_ms);
  return {
      {o.prefix + ".events", o.partitions, o.replication_factor, {{"retention.ms", retention}}},
      {o.prefix + ".courier", o.partitions, o.replication_factor, {}},
      {o.prefix + ".courier.status", o.partitions, o.replication_factor,
       {{"cleanup.policy", "compact"}}},
      // Compacted quickly, so an erasure's tombstone replaces the wrapped key
      // within about an hour (segment.ms) rather than whenever the segment fills.
      {o.prefix + ".keys", o.partitions, o.replication_factor,
       {{"cleanup.policy", "compact"},
        {"segment.ms", "3600000"},
        {"min.cleanable.dirty.ratio", "0.01"},
        {"delete.retention.ms", "86400000"}}},
  };
}

Result<std::vector<TopicResult>> EnsureTopics(const std::string& brokers,
                                              const std::vector<TopicSpec>& topics,
                                              std::chrono::milliseconds timeout) {
  MNEME_TRY(auto client, MakeClient(brokers));
  char err[512];
  std::vector<std::unique_ptr<rd_kafka_NewTopic_t, NewTopicDeleter>> owned;
  std::vector<rd_kafka_NewTopic_t*> raw;
  for (const auto& t : topics) {
    std::unique_ptr<rd_kafka_NewTopic_t, NewTopicDeleter> nt(
        rd_kafka_NewTopic_new(t.name.c_str(), t.partitions, t.replication_factor, err, sizeof err));
    if (!nt) {
      return MakeError(Code::kInvalidArgument, "kafka topic " + t.name + ": " + err);
    }
    for (const auto& [key, value] : t.configs) {
      rd_kafka_NewTopic_set_config(nt.get(), key.c_str(), value.c_str());
    }
    raw.push_back(nt.get());
    owned.push_back(std::move(nt));
  }
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(client.get()));
  std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter> options(
      rd_kafka_AdminOptions_new(client.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS));
  rd_kafka_AdminOptions_set_operation_timeout(options.get(), static_cast<int>(timeout.count()),
                                              err, sizeof err);
  rd_kafka_AdminOptions_set_request_timeout(options.get(), static_cast<int>(timeout.count()), err,
                                            sizeof err);
  rd_kafka_CreateTopics(client.get(), raw.data(), raw.size(), options.get(), queue.get());
  auto ev = Await(queue.get(), RD_KAFKA_EVENT_CREATETOPICS_RESULT, timeout + std::chrono::seconds(5));
  if (!ev) {
    return MakeError(Code::kUnavailable, "kafka: no answer from " + brokers + " to CreateTopics");
  }
  if (rd_kafka_event_error(ev.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return MakeError(Code::kUnavailable,
                     std::string("kafka: CreateTopics: ") + rd_kafka_event_error_string(ev.get()));
  }
  const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(ev.get());
  size_t n = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &n);
  std::vector<TopicResult> out;
  for (size_t i = 0; i < n; ++i) {
    const std::string name = rd_kafka_topic_result_name(results[i]);
    const rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
      out.push_back({name, TopicOutcome::kCreated});
    } else if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      out.push_back({name, TopicOutcome::kExisted});
    } else {
      const char* why = rd_kafka_topic_result_error_string(results[i]);
      return MakeError(Code::kInvalidArgument,
                       "kafka topic " + name + ": " + (why ? why : rd_kafka_err2str(e)));
    }
  }
  return out;
}

Result<TopicDescription> DescribeTopic(const std::string& brokers, const std::string& name,
                                       std::chrono::milliseconds timeout) {
  MNEME_TRY(auto client, MakeClient(brokers));
  TopicDescription d;
  rd_kafka_topic_t* topic = rd_kafka_topic_new(client.get(), name.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t merr =
      rd_kafka_metadata(client.get(), 0, topic, &md, static_cast<int>(timeout.count()));
  rd_kafka_topic_destroy(topic);
  if (merr != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return MakeError(Code::kUnavailable, std::string("kafka metadata: ") + rd_kafka_err2str(merr));
  }
  std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter> owned_md(md);
  if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return MakeError(Code::kNotFound, "kafka topic " + name + " does not exist");
  }
  d.partitions = md->topics[0].partition_cnt;

  char err[512];
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(client.get()));
  std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter> options(
      rd_kafka_AdminOptions_new(client.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS));
  rd_kafka_AdminOptions_set_request_timeout(options.get(), static_cast<int>(timeout.count()), err,
                                            sizeof err);
  std::unique_ptr<rd_kafka_ConfigResource_t, ResourceDeleter> resource(
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name.c_str()));
  rd_kafka_ConfigResource_t* resources[] = {resource.get()};
  rd_kafka_DescribeConfigs(client.get(), resources, 1, options.get(), queue.get());
  auto ev = Await(queue.get(), RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, timeout + std::chrono::seconds(5));
  if (!ev || rd_kafka_event_error(ev.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return MakeError(Code::kUnavailable, "kafka: DescribeConfigs of " + name + " failed");
  }
  size_t n = 0;
  const rd_kafka_ConfigResource_t** described =
      rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev.get()), &n);
  for (size_t i = 0; i < n; ++i) {
    size_t entries = 0;
    const rd_kafka_ConfigEntry_t** configs = rd_kafka_ConfigResource_configs(described[i], &entries);
    for (size_t j = 0; j < entries; ++j) {
      if (std::string(rd_kafka_ConfigEntry_name(configs[j])) == "cleanup.policy" &&
          rd_kafka_ConfigEntry_value(configs[j])) {
        d.cleanup_policy = rd_kafka_ConfigEntry_value(configs[j]);
      }
    }
  }
  return d;
}

}  // namespace mneme::infra::kafka
