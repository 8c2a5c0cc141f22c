#include "infra/kafka/status_consumer.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <string_view>
#include <utility>
#include <vector>

namespace mneme::infra::kafka {
namespace {

using std::chrono::steady_clock;

struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter>;

bool IsCooperative(rd_kafka_t* rk) {
  const char* protocol = rd_kafka_rebalance_protocol(rk);
  return protocol != nullptr && std::string_view(protocol) == "COOPERATIVE";
}

}  // namespace

void StatusConsumer::KafkaDeleter::operator()(rd_kafka_s* k) const { rd_kafka_destroy(k); }

Result<std::unique_ptr<StatusConsumer>> StatusConsumer::Create(
    StatusConsumerOptions options, StatusIngestFn ingest, std::shared_ptr<spdlog::logger> log) {
  if (options.brokers.empty()) {
    return MakeError(Code::kInvalidArgument, "kafka status consumer: no brokers");
  }
  if (options.group_id.empty()) {
    options.group_id = options.topic_prefix + "-status-ingest";
  }
  std::unique_ptr<StatusConsumer> c(new StatusConsumer());
  c->options_ = std::move(options);
  c->ingest_ = std::move(ingest);
  c->log_ = std::move(log);
  c->topic_ = c->options_.topic_prefix + ".courier.status";
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::pair<const char*, std::string> settings[] = {
      {"bootstrap.servers", c->options_.brokers},
      {"group.id", c->options_.group_id},
      {"enable.auto.commit", "false"},
      // Offsets are stored by hand once a record is ingested, and committed
      // from the store: a record handed out but not ingested is never committed.
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      {"partition.assignment.strategy", "cooperative-sticky"},
  };
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf, key, value.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return MakeError(Code::kInvalidArgument, std::string("kafka: ") + err);
    }
  }
  rd_kafka_conf_set_opaque(conf, c.get());
  rd_kafka_conf_set_error_cb(conf, [](rd_kafka_t*, int code, const char* reason, void* opaque) {
    static_cast<StatusConsumer*>(opaque)->log_->warn(
        "status consumer kafka error code={} reason={}",
        rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(code)), reason);
  });
  rd_kafka_conf_set_log_cb(conf, [](const rd_kafka_t* rk, int level, const char* facility,
                                    const char* message) {
    const auto spd = level <= 3 ? spdlog::level::err
                     : level == 4 ? spdlog::level::warn
                     : level <= 6 ? spdlog::level::info
                                  : spdlog::level::debug;
    static_cast<StatusConsumer*>(rd_kafka_opaque(rk))
        ->log_->log(spd, "kafka client facility={} message={}", facility, message);
  });
  rd_kafka_conf_set_rebalance_cb(
      conf, [](rd_kafka_t*, rd_kafka_resp_err_t e, rd_kafka_topic_partition_list_t* partitions,
               void* opaque) { static_cast<StatusConsumer*>(opaque)->OnRebalance(e, partitions); });
  // Async commit results arrive here, on the consumer's thread.
  rd_kafka_conf_set_offset_commit_cb(
      conf, [](rd_kafka_t*, rd_kafka_resp_err_t e, rd_kafka_topic_partition_list_t*, void* opaque) {
        auto* self = static_cast<StatusConsumer*>(opaque);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR__NO_OFFSET) {
          self->dirty_ = true;  // commit the stored offsets again on the next pass
          self->log_->warn("status consumer commit failed error={}", rd_kafka_err2str(e));
        }
      });
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (consumer == nullptr) {
    rd_kafka_conf_destroy(conf);  // still ours: rd_kafka_new failed
    return MakeError(Code::kInvalidArgument, std::string("kafka: ") + err);
  }
  c->consumer_.reset(consumer);
  rd_kafka_poll_set_consumer(consumer);
  return c;
}

StatusConsumer::~StatusConsumer() { Stop(); }

Status StatusConsumer::Start() {
  if (thread_.joinable()) {
    return OkStatus();
  }
  PartitionList topics(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(topics.get(), topic_.c_str(), RD_KAFKA_PARTITION_UA);
  if (const rd_kafka_resp_err_t e = rd_kafka_subscribe(consumer_.get(), topics.get()); e) {
    return MakeError(Code::kInvalidArgument,
                     "kafka status consumer: subscribe to " + topic_ + ": " + rd_kafka_err2str(e));
  }
  running_ = true;
  thread_ = std::thread([this] { Run(); });
  log_->info("status consumer started topic={} group={}", topic_, options_.group_id);
  return OkStatus();
}

void StatusConsumer::Stop() {
  if (!thread_.joinable()) {
    return;
  }
  running_ = false;
  thread_.join();
  log_->info("status consumer stopped ingested={}", ingested_.load());
}

bool StatusConsumer::Handle(const rd_kafka_message_t& m) {
  if (m.payload == nullptr) {
    return true;  // a tombstone: nothing to ingest
  }
  const std::string key =
      m.key != nullptr ? std::string(static_cast<const char*>(m.key), m.key_len) : std::string();
  const std::string value(static_cast<const char*>(m.payload), m.len);
  auto backoff = std::chrono::milliseconds(50);
  while (true) {
    Status s = ingest_(key, value);
    if (s) {
      ++ingested_;
      return true;
    }
    if (s.error().code() != Code::kUnavailable) {
      log_->error("status report dropped message_id={} partition={} offset={} error={}", key,
                  m.partition, m.offset, s.error().ToString());
      return true;
    }
    log_->warn("status report not ingested yet; retrying message_id={} backoff_ms={} error={}",
               key, backoff.count(), s.error().message());
    const auto until = steady_clock::now() + backoff;
    while (steady_clock::now() < until) {
      if (!running_.load()) {
        return false;
      }
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
          std::chrono::milliseconds(20), backoff));
    }
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(2));
  }
}

void StatusConsumer::Run() {
  auto last_commit = steady_clock::now();
  while (running_.load()) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_.get(), 100);
    const bool idle = m == nullptr;
    if (m != nullptr) {
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (Handle(*m)) {
          PartitionList offset(rd_kafka_topic_partition_list_new(1));
          rd_kafka_topic_partition_list_add(offset.get(), rd_kafka_topic_name(m->rkt),
                                            m->partition)
              ->offset = m->offset + 1;
          if (rd_kafka_offsets_store(consumer_.get(), offset.get()) ==
              RD_KAFKA_RESP_ERR_NO_ERROR) {
            dirty_ = true;
          }
        }
      } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        log_->warn("status consumer error code={} error={}", rd_kafka_err2name(m->err),
                   rd_kafka_message_errstr(m));
      }
      rd_kafka_message_destroy(m);
    }
    if (dirty_ && (idle || steady_clock::now() - last_commit > std::chrono::milliseconds(500))) {
      CommitStored(CommitMode::kAsync);
      last_commit = steady_clock::now();
    }
  }
  CommitStored(CommitMode::kSync);
  // Leaves the group; the revocation commits nothing new.
  if (const rd_kafka_resp_err_t e = rd_kafka_consumer_close(consumer_.get()); e) {
    log_->warn("status consumer close failed error={}", rd_kafka_err2str(e));
  }
}

void StatusConsumer::CommitStored(CommitMode mode) {
  if (!dirty_ && mode == CommitMode::kAsync) {
    return;
  }
  dirty_ = false;
  // nullptr: the offsets stored for the current assignment.
  const rd_kafka_resp_err_t e =
      rd_kafka_commit(consumer_.get(), nullptr, mode == CommitMode::kAsync ? 1 : 0);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR__NO_OFFSET) {
    dirty_ = true;  // try again
    log_->warn("status consumer commit failed error={}", rd_kafka_err2str(e));
  }
}

void StatusConsumer::OnRebalance(int err, rd_kafka_topic_partition_list_t* partitions) {
  const bool cooperative = IsCooperative(consumer_.get());
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (cooperative) {
      if (rd_kafka_error_t* e = rd_kafka_incremental_assign(consumer_.get(), partitions)) {
        log_->error("status consumer assign failed error={}", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
      }
    } else {
      rd_kafka_assign(consumer_.get(), partitions);
    }
    if (partitions->cnt > 0) {
      log_->info("status consumer partitions assigned count={}", partitions->cnt);
    }
    return;
  }
  // Revoked (or a rebalance error): commit what was ingested while the
  // partitions are still ours; ingestion is synchronous, so nothing is in flight.
  if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS && !rd_kafka_assignment_lost(consumer_.get())) {
    CommitStored(CommitMode::kSync);
  } else {
    log_->warn("status consumer partitions lost or rebalance failed error={}",
               rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err)));
  }
  if (cooperative) {
    if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(consumer_.get(), partitions)) {
      rd_kafka_error_destroy(e);
    }
  } else {
    rd_kafka_assign(consumer_.get(), nullptr);
  }
  if (partitions->cnt > 0) {
    log_->info("status consumer partitions revoked count={}", partitions->cnt);
  }
}

}  // namespace mneme::infra::kafka
