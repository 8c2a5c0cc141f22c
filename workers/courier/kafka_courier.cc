#include "workers/courier/kafka_courier.h"

#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace mneme::workers::courier {
namespace {

using std::chrono::steady_clock;

struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter>;

std::string DefaultWorkerId() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    std::strcpy(host, "courier");
  }
  return fmt::format("{}-{}", host, getpid());
}

// Applies `settings` to a new conf; the conf is destroyed on failure.
Result<rd_kafka_conf_t*> MakeConf(
    const std::vector<std::pair<const char*, std::string>>& settings) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf, key, value.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return MakeError(Code::kInvalidArgument, std::string("kafka: ") + err);
    }
  }
  return conf;
}

// librdkafka's own log lines (syslog levels) go to our logger.
void LogFromKafka(spdlog::logger& log, int level, const char* facility, const char* message) {
  const auto spd = level <= 3 ? spdlog::level::err
                   : level == 4 ? spdlog::level::warn
                   : level <= 6 ? spdlog::level::info
                                : spdlog::level::debug;
  log.log(spd, "kafka client facility={} message={}", facility, message);
}

bool IsCooperative(rd_kafka_t* rk) {
  const char* protocol = rd_kafka_rebalance_protocol(rk);
  return protocol != nullptr && std::string_view(protocol) == "COOPERATIVE";
}

}  // namespace

nlohmann::json ToJson(const DispatchReport& report) {
  return {{"message_id", report.message_id},
          {"status", report.status},
          {"dispatches", report.dispatches.is_array() ? report.dispatches
                                                      : nlohmann::json::array()},
          {"worker", report.worker}};
}

Result<DispatchReport> DispatchReportFromJson(const std::string& text) {
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  if (!doc.is_object()) {
    return MakeError(Code::kDataLoss, "dispatch report: not a JSON object");
  }
  DispatchReport report;
  const auto id = doc.find("message_id");
  if (id == doc.end() || !id->is_string() || id->get<std::string>().empty()) {
    return MakeError(Code::kDataLoss, "dispatch report: no message_id");
  }
  report.message_id = id->get<std::string>();
  const auto status = doc.find("status");
  if (status == doc.end() || !status->is_string() ||
      (*status != "sent" && *status != "abandoned")) {
    return MakeError(Code::kDataLoss,
                     "dispatch report " + report.message_id + ": status is not sent or abandoned");
  }
  report.status = status->get<std::string>();
  if (const auto dispatches = doc.find("dispatches"); dispatches != doc.end()) {
    if (!dispatches->is_array()) {
      return MakeError(Code::kDataLoss,
                       "dispatch report " + report.message_id + ": dispatches is not an array");
    }
    for (const auto& d : *dispatches) {
      const bool known_status =
          d.is_object() && d.contains("status") &&
          (d["status"] == "failed" || d["status"] == "success");
      if (!known_status || (d.contains("at") && !d["at"].is_number_integer())) {
        return MakeError(Code::kDataLoss,
                         "dispatch report " + report.message_id + ": malformed dispatch");
      }
    }
    report.dispatches = *dispatches;
  }
  if (const auto worker = doc.find("worker"); worker != doc.end()) {
    if (!worker->is_string()) {
      return MakeError(Code::kDataLoss,
                       "dispatch report " + report.message_id + ": worker is not a string");
    }
    report.worker = worker->get<std::string>();
  }
  return report;
}

void KafkaCourier::KafkaDeleter::operator()(rd_kafka_s* k) const { rd_kafka_destroy(k); }

Result<std::unique_ptr<KafkaCourier>> KafkaCourier::Create(KafkaCourierOptions options,
                                                           DispatchFn dispatch,
                                                           std::shared_ptr<spdlog::logger> log) {
  if (options.brokers.empty()) {
    return MakeError(Code::kInvalidArgument, "kafka courier: no brokers");
  }
  if (options.concurrency == 0) {
    return MakeError(Code::kInvalidArgument, "kafka courier: concurrency must be at least 1");
  }
  std::unique_ptr<KafkaCourier> courier(new KafkaCourier());
  if (options.group_id.empty()) {
    options.group_id = options.topic_prefix + "-courier";
  }
  if (options.worker_id.empty()) {
    options.worker_id = DefaultWorkerId();
  }
  courier->options_ = std::move(options);
  courier->dispatch_ = std::move(dispatch);
  courier->log_ = std::move(log);
  courier->topic_ = courier->options_.topic_prefix + ".courier";
  courier->status_topic_ = courier->options_.topic_prefix + ".courier.status";
  const KafkaCourierOptions& o = courier->options_;
  char err[512];

  auto error_cb = [](rd_kafka_t* rk, int code, const char* reason, void* opaque) {
    static_cast<KafkaCourier*>(opaque)->log_->warn(
        "courier kafka error client={} code={} reason={}", rd_kafka_name(rk),
        rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(code)), reason);
  };

  auto log_cb = [](const rd_kafka_t* rk, int level, const char* facility, const char* message) {
    LogFromKafka(*static_cast<KafkaCourier*>(rd_kafka_opaque(rk))->log_, level, facility, message);
  };

  MNEME_TRY(rd_kafka_conf_t * pconf,
            MakeConf({{"bootstrap.servers", o.brokers},
                      {"client.id", o.worker_id},
                      {"enable.idempotence", "true"},
                      {"acks", "all"},
                      {"linger.ms", "5"},
                      // Never give up on a report: the broker may be away for a while.
                      {"message.timeout.ms", "0"}}));
  rd_kafka_conf_set_opaque(pconf, courier.get());
  rd_kafka_conf_set_error_cb(pconf, error_cb);
  rd_kafka_conf_set_log_cb(pconf, log_cb);
  rd_kafka_conf_set_dr_msg_cb(pconf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    static_cast<KafkaCourier*>(opaque)->OnDelivery(
        std::unique_ptr<Delivery>(static_cast<Delivery*>(m->_private)), m->err);
  });
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, err, sizeof(err));
  if (producer == nullptr) {
    rd_kafka_conf_destroy(pconf);  // still ours: rd_kafka_new failed
    return MakeError(Code::kInvalidArgument, std::string("kafka: ") + err);
  }
  courier->producer_.reset(producer);

  MNEME_TRY(rd_kafka_conf_t * cconf,
            MakeConf({{"bootstrap.servers", o.brokers},
                      {"client.id", o.worker_id},
                      {"group.id", o.group_id},
                      {"enable.auto.commit", "false"},
                      {"enable.auto.offset.store", "false"},
                      {"auto.offset.reset", "earliest"},
                      // A killed courier's partitions move after 10 s, not 45.
                      {"session.timeout.ms", "10000"},
                      {"heartbeat.interval.ms", "3000"},
                      // Classic protocol (librdkafka 2.0 has no KIP-848), incremental.
                      {"partition.assignment.strategy", "cooperative-sticky"}}));
  rd_kafka_conf_set_opaque(cconf, courier.get());
  rd_kafka_conf_set_error_cb(cconf, error_cb);
  rd_kafka_conf_set_log_cb(cconf, log_cb);
  rd_kafka_conf_set_rebalance_cb(
      cconf, [](rd_kafka_t*, rd_kafka_resp_err_t e, rd_kafka_topic_partition_list_t* partitions,
                void* opaque) { static_cast<KafkaCourier*>(opaque)->OnRebalance(e, partitions); });
  rd_kafka_conf_set_offset_commit_cb(
      cconf, [](rd_kafka_t*, rd_kafka_resp_err_t e, rd_kafka_topic_partition_list_t* offsets,
                void* opaque) { static_cast<KafkaCourier*>(opaque)->OnCommitted(e, offsets); });
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cconf, err, sizeof(err));
  if (consumer == nullptr) {
    rd_kafka_conf_destroy(cconf);
    return MakeError(Code::kInvalidArgument, std::string("kafka: ") + err);
  }
  courier->consumer_.reset(consumer);
  // Rebalances, commit results and errors are served by rd_kafka_consumer_poll.
  rd_kafka_poll_set_consumer(consumer);
  return courier;
}

KafkaCourier::~KafkaCourier() {
  // Whatever is left (only after a fatal producer error) fails through
  // OnDelivery, which frees its Delivery, while the members still exist.
  if (producer_ != nullptr) {
    rd_kafka_flush(producer_.get(), 10000);
    rd_kafka_purge(producer_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(producer_.get(), 0);
  }
  consumer_.reset();
  producer_.reset();
}

Status KafkaCourier::Run(const std::atomic<bool>& stop) {
  PartitionList topics(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(topics.get(), topic_.c_str(), RD_KAFKA_PARTITION_UA);
  if (const rd_kafka_resp_err_t e = rd_kafka_subscribe(consumer_.get(), topics.get()); e) {
    return MakeError(Code::kInvalidArgument,
                     "kafka courier: subscribe to " + topic_ + ": " + rd_kafka_err2str(e));
  }
  delivery_thread_ = std::thread([this] { DeliveryLoop(); });
  for (size_t i = 0; i < options_.concurrency; ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
  log_->info("courier started topic={} status_topic={} group={} worker={} concurrency={}", topic_,
             status_topic_, options_.group_id, options_.worker_id, options_.concurrency);

  auto last_report = steady_clock::now();
  auto last_commit = last_report;
  while (!stop.load() && !fatal_.load()) {
    // A short poll: a delivered report is committed within milliseconds, so
    // a killed courier leaves little more than its mails in flight.
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_.get(), 10);
    if (m != nullptr) {
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        Take(m);
      } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        log_->warn("courier consume error code={} error={}", rd_kafka_err2name(m->err),
                   rd_kafka_message_errstr(m));
      }
      rd_kafka_message_destroy(m);
    }
    PauseOrResume();
    if (commit_due_.exchange(false) ||
        steady_clock::now() - last_commit > std::chrono::milliseconds(200)) {
      Commit({}, CommitMode::kAsync);
      last_commit = steady_clock::now();
    }
    if (steady_clock::now() - last_report > std::chrono::seconds(10)) {
      ReportProgress();
      last_report = steady_clock::now();
    }
  }

  log_->info("courier stopping worker={} fatal={}", options_.worker_id, fatal_.load());
  Drain({}, DrainMode::kWaitForInFlight);
  Commit({}, CommitMode::kSync);
  // Leaves the group; the revocation it triggers finds nothing in flight.
  if (const rd_kafka_resp_err_t e = rd_kafka_consumer_close(consumer_.get()); e) {
    log_->warn("courier consumer close failed error={}", rd_kafka_err2str(e));
  }
  {
    std::lock_guard lock(mu_);
    workers_stop_ = true;
  }
  work_cv_.notify_all();
  for (auto& w : workers_) {
    w.join();
  }
  workers_.clear();
  delivery_stop_ = true;
  delivery_thread_.join();
  if (!fatal_.load()) {
    rd_kafka_flush(producer_.get(), 10000);
  }
  log_->info("courier stopped worker={} processed={} skipped={}", options_.worker_id,
             processed_.load(), skipped_.load());
  if (fatal_.load()) {
    char reason[512] = {};
    rd_kafka_fatal_error(producer_.get(), reason, sizeof(reason));
    return MakeError(Code::kUnavailable, std::string("kafka courier: producer failed: ") + reason);
  }
  return OkStatus();
}

void KafkaCourier::Take(rd_kafka_message_t* m) {
  const int32_t partition = m->partition;
  const int64_t offset = m->offset;
  std::unique_lock lock(mu_);
  auto it = partitions_.find(partition);
  if (it == partitions_.end() || it->second.revoked) {
    return;  // no longer ours: the new owner gets it from the committed offset
  }
  PartitionState& state = it->second;
  if (state.offsets.count(offset) > 0 || offset < state.commit_next) {
    return;  // already taken
  }
  if (m->key == nullptr || m->key_len == 0 || m->payload == nullptr || m->len == 0) {
    state.offsets[offset] = true;
    lock.unlock();
    ++skipped_;
    log_->warn("courier skipped record without {} partition={} offset={}",
               m->key == nullptr || m->key_len == 0 ? "key" : "value", partition, offset);
    return;
  }
  state.offsets[offset] = false;
  Job job;
  job.record.message_id.assign(static_cast<const char*>(m->key), m->key_len);
  job.record.value.assign(static_cast<const char*>(m->payload), m->len);
  job.record.partition = partition;
  job.record.offset = offset;
  job.epoch = state.epoch;
  queue_.push_back(std::move(job));
  ++outstanding_;
  lock.unlock();
  work_cv_.notify_one();
}

void KafkaCourier::WorkerLoop() {
  while (true) {
    Job job;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [this] { return workers_stop_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;
      }
      job = std::move(queue_.front());
      queue_.pop_front();
      auto it = partitions_.find(job.record.partition);
      if (it == partitions_.end() || it->second.epoch != job.epoch || it->second.revoked) {
        --outstanding_;  // revoked meanwhile: left for the new owner
        done_cv_.notify_all();
        continue;
      }
      ++it->second.in_flight;
    }
    DispatchReport report = dispatch_(job.record);
    report.message_id = job.record.message_id;
    if (report.worker.empty()) {
      report.worker = options_.worker_id;
    }
    auto d = std::make_unique<Delivery>();
    d->partition = job.record.partition;
    d->offset = job.record.offset;
    d->epoch = job.epoch;
    d->key = job.record.message_id;
    d->value = ToJson(report).dump();
    Produce(std::move(d));
  }
}

void KafkaCourier::Produce(std::unique_ptr<Delivery> d) {
  while (true) {
    const rd_kafka_resp_err_t e = rd_kafka_producev(
        producer_.get(), RD_KAFKA_V_TOPIC(status_topic_.c_str()),
        RD_KAFKA_V_KEY(const_cast<char*>(d->key.data()), d->key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(d->value.data()), d->value.size()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(d.get()), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
      d.release();  // owned by librdkafka until its delivery report
      return;
    }
    if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      OnDelivery(std::move(d), e);
      return;
    }
    rd_kafka_poll(producer_.get(), 10);  // the local queue is full: serve deliveries
  }
}

void KafkaCourier::OnDelivery(std::unique_ptr<Delivery> d, int err) {
  if (d == nullptr) {
    return;
  }
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++processed_;
    log_->debug("courier reported message_id={} partition={} offset={}", d->key, d->partition,
                d->offset);
    std::lock_guard lock(mu_);
    if (auto it = partitions_.find(d->partition);
        it != partitions_.end() && it->second.epoch == d->epoch) {
      it->second.offsets[d->offset] = true;
      --it->second.in_flight;
    }
    --outstanding_;
    commit_due_ = true;
    done_cv_.notify_all();
    return;
  }
  char reason[512] = {};
  if (rd_kafka_fatal_error(producer_.get(), reason, sizeof(reason)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (!fatal_.exchange(true)) {
      log_->error("courier producer failed for good; stopping error={}", reason);
    }
    // Abandoned: not committed, so the next owner sends it again.
    std::lock_guard lock(mu_);
    if (auto it = partitions_.find(d->partition);
        it != partitions_.end() && it->second.epoch == d->epoch) {
      --it->second.in_flight;
    }
    --outstanding_;
    done_cv_.notify_all();
    return;
  }
  if (err != RD_KAFKA_RESP_ERR__PURGE_QUEUE && err != RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
    log_->warn("courier report not delivered; retrying message_id={} code={}", d->key,
               rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)));
  }
  std::lock_guard lock(mu_);
  retry_.push_back(std::move(d));
}

void KafkaCourier::DeliveryLoop() {
  while (!delivery_stop_.load()) {
    rd_kafka_poll(producer_.get(), 100);
    std::vector<std::unique_ptr<Delivery>> again;
    {
      std::lock_guard lock(mu_);
      again.swap(retry_);
    }
    if (again.empty() || fatal_.load()) {
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // back off before resending
    for (auto& d : again) {
      Produce(std::move(d));
    }
  }
}

void KafkaCourier::OnRebalance(int err, rd_kafka_topic_partition_list_t* partitions) {
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    Assign(partitions);
  } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    Revoke(partitions);
  } else {
    log_->error("courier rebalance failed error={}",
                rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err)));
    {
      std::lock_guard lock(mu_);
      partitions_.clear();
    }
    assigned_ = 0;
    if (IsCooperative(consumer_.get())) {
      if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(consumer_.get(), partitions)) {
        rd_kafka_error_destroy(e);
      }
    } else {
      rd_kafka_assign(consumer_.get(), nullptr);
    }
  }
}

namespace {

std::vector<int32_t> PartitionsOf(const rd_kafka_topic_partition_list_t* list,
                                  const std::string& topic) {
  std::vector<int32_t> out;
  for (int i = 0; i < list->cnt; ++i) {
    if (topic == list->elems[i].topic) {
      out.push_back(list->elems[i].partition);
    }
  }
  return out;
}

}  // namespace

void KafkaCourier::Assign(rd_kafka_topic_partition_list_t* partitions) {
  const std::vector<int32_t> ps = PartitionsOf(partitions, topic_);
  {
    std::lock_guard lock(mu_);
    for (int32_t p : ps) {
      PartitionState state;
      state.epoch = next_epoch_++;
      partitions_[p] = std::move(state);
    }
    assigned_ = partitions_.size();
  }
  if (IsCooperative(consumer_.get())) {
    if (rd_kafka_error_t* e = rd_kafka_incremental_assign(consumer_.get(), partitions)) {
      log_->error("courier incremental assign failed error={}", rd_kafka_error_string(e));
      rd_kafka_error_destroy(e);
    }
  } else if (const rd_kafka_resp_err_t e = rd_kafka_assign(consumer_.get(), partitions); e) {
    log_->error("courier assign failed error={}", rd_kafka_err2str(e));
  }
  if (paused_ && partitions->cnt > 0) {
    rd_kafka_pause_partitions(consumer_.get(), partitions);
  }
  if (!ps.empty()) {
    log_->info("courier partitions assigned worker={} partitions={} assigned={}",
               options_.worker_id, fmt::join(ps, ","), assigned_.load());
  }
}

void KafkaCourier::Revoke(rd_kafka_topic_partition_list_t* partitions) {
  const std::vector<int32_t> ps = PartitionsOf(partitions, topic_);
  const bool lost = rd_kafka_assignment_lost(consumer_.get()) != 0;
  {
    std::lock_guard lock(mu_);
    for (int32_t p : ps) {
      if (auto it = partitions_.find(p); it != partitions_.end()) {
        it->second.revoked = true;
      }
    }
  }
  if (lost) {
    // Another member owns them already: commits would be refused.
    log_->warn("courier partitions lost worker={} partitions={}", options_.worker_id,
               fmt::join(ps, ","));
    Drain(ps, DrainMode::kDropQueuedOnly);
  } else if (!ps.empty()) {
    Drain(ps, DrainMode::kWaitForInFlight);
    Commit(ps, CommitMode::kSync);
  }
  std::map<int32_t, int64_t> committed;
  {
    std::lock_guard lock(mu_);
    for (int32_t p : ps) {
      if (auto it = partitions_.find(p); it != partitions_.end()) {
        committed[p] = it->second.committed;
        partitions_.erase(it);
      }
    }
    assigned_ = partitions_.size();
  }
  if (IsCooperative(consumer_.get())) {
    if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(consumer_.get(), partitions)) {
      log_->error("courier incremental unassign failed error={}", rd_kafka_error_string(e));
      rd_kafka_error_destroy(e);
    }
  } else {
    rd_kafka_assign(consumer_.get(), nullptr);
  }
  if (!ps.empty()) {
    std::vector<std::string> parts;
    for (const auto& [p, next] : committed) {
      parts.push_back(fmt::format("{}:{}", p, next));
    }
    log_->info("courier partitions revoked worker={} partitions={} committed={} lost={}",
               options_.worker_id, fmt::join(ps, ","), fmt::join(parts, ","), lost);
  }
}

void KafkaCourier::Drain(const std::vector<int32_t>& partitions, DrainMode mode) {
  const bool all = partitions.empty();
  auto mine = [&](int32_t p) {
    return all || std::find(partitions.begin(), partitions.end(), p) != partitions.end();
  };
  std::unique_lock lock(mu_);
  const size_t before = queue_.size();
  queue_.erase(std::remove_if(queue_.begin(), queue_.end(),
                              [&](const Job& j) { return mine(j.record.partition); }),
               queue_.end());
  outstanding_ -= before - queue_.size();
  if (mode == DrainMode::kDropQueuedOnly) {
    done_cv_.notify_all();
    return;
  }
  auto idle = [&] {
    if (fatal_.load()) {
      return true;
    }
    if (all) {
      return outstanding_ == 0;
    }
    for (int32_t p : partitions) {
      if (auto it = partitions_.find(p); it != partitions_.end() && it->second.in_flight > 0) {
        return false;
      }
    }
    return true;
  };
  while (!done_cv_.wait_for(lock, std::chrono::seconds(10), idle)) {
    log_->info("courier waiting for records in flight worker={} outstanding={}",
               options_.worker_id, outstanding_);
  }
}

void KafkaCourier::Commit(const std::vector<int32_t>& partitions, CommitMode mode) {
  const bool sync = mode == CommitMode::kSync;
  PartitionList list(rd_kafka_topic_partition_list_new(4));
  {
    std::lock_guard lock(mu_);
    for (auto& [p, state] : partitions_) {
      if (!partitions.empty() &&
          std::find(partitions.begin(), partitions.end(), p) == partitions.end()) {
        continue;
      }
      while (!state.offsets.empty() && state.offsets.begin()->second) {
        state.commit_next = state.offsets.begin()->first + 1;
        state.offsets.erase(state.offsets.begin());
      }
      if (state.commit_next > state.committed && (sync || state.commit_next != state.requested)) {
        rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), p)->offset =
            state.commit_next;
        state.requested = state.commit_next;
      }
    }
  }
  if (list->cnt == 0) {
    return;
  }
  const rd_kafka_resp_err_t e = rd_kafka_commit(consumer_.get(), list.get(), sync ? 0 : 1);
  if (!sync) {
    return;  // the outcome arrives in OnCommitted
  }
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    log_->warn("courier commit failed worker={} error={}", options_.worker_id,
               rd_kafka_err2str(e));
  }
  OnCommitted(e, list.get());
}

void KafkaCourier::OnCommitted(int err, rd_kafka_topic_partition_list_t* offsets) {
  if (err == RD_KAFKA_RESP_ERR__NO_OFFSET || offsets == nullptr) {
    return;
  }
  std::lock_guard lock(mu_);
  for (int i = 0; i < offsets->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = offsets->elems[i];
    auto it = partitions_.find(tp.partition);
    if (topic_ != tp.topic || it == partitions_.end()) {
      continue;
    }
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && tp.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      it->second.committed = std::max(it->second.committed, tp.offset);
    } else {
      it->second.requested = -1;  // try again on the next pass
    }
  }
}

void KafkaCourier::PauseOrResume() {
  size_t outstanding;
  {
    std::lock_guard lock(mu_);
    outstanding = outstanding_;
  }
  // A pause drops what librdkafka prefetched and a resume waits for the
  // fetch in progress, so the window is wide: a pause is for a real backlog.
  const size_t high = std::max(options_.max_buffered, 2 * options_.concurrency);
  const bool pause = !paused_ && outstanding >= high;
  const bool resume = paused_ && outstanding < high / 2;
  if (!pause && !resume) {
    return;
  }
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (rd_kafka_assignment(consumer_.get(), &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return;
  }
  PartitionList assignment(raw);
  // Paused partitions drop what they prefetched and fetch again from the
  // position after the last record taken.
  if (pause) {
    rd_kafka_pause_partitions(consumer_.get(), assignment.get());
  } else {
    rd_kafka_resume_partitions(consumer_.get(), assignment.get());
    // librdkafka 2.0 fetches a resumed partition only about a second later;
    // a seek to the position it already has restarts the fetch at once.
    // Partitions without a position yet are left alone (a seek to "invalid"
    // would replay them from the start).
    if (rd_kafka_position(consumer_.get(), assignment.get()) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      PartitionList known(rd_kafka_topic_partition_list_new(assignment.get()->cnt));
      for (int i = 0; i < assignment.get()->cnt; ++i) {
        const auto& p = assignment.get()->elems[i];
        if (p.offset >= 0) {
          rd_kafka_topic_partition_list_add(known.get(), p.topic, p.partition)->offset = p.offset;
        }
      }
      if (known.get()->cnt > 0) {
        if (rd_kafka_error_t* e = rd_kafka_seek_partitions(consumer_.get(), known.get(), 0)) {
          log_->warn("courier seek after resume failed: {}", rd_kafka_error_string(e));
          rd_kafka_error_destroy(e);
        }
      }
    }
  }
  paused_ = pause;
}

void KafkaCourier::ReportProgress() {
  const uint64_t processed = processed_.load();
  if (processed == reported_processed_) {
    return;
  }
  size_t outstanding;
  {
    std::lock_guard lock(mu_);
    outstanding = outstanding_;
  }
  log_->info("courier progress worker={} processed={} skipped={} outstanding={} assigned={}",
             options_.worker_id, processed, skipped_.load(), outstanding, assigned_.load());
  reported_processed_ = processed;
}

}  // namespace mneme::workers::courier
