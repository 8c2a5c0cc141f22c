// The courier's consumer group and the status ingestion against the real
// broker: every message on "<prefix>.courier" is dispatched, its report lands
// on "<prefix>.courier.status", offsets are committed (a later member of the
// group gets nothing old), and a courier that stops midway hands its
// partitions to the others with nothing lost. The StatusConsumer ingests each
// report once, across a restart in the same group. Needs MNEME_KAFKA_BOOTSTRAP.
#include "workers/courier/kafka_courier.h"

#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <spdlog/sinks/null_sink.h>

#include "infra/kafka/status_consumer.h"
#include "infra/kafka/topic_admin.h"
#include "tests/infra/kafka/topic_reader.h"
#include "tests/support/test_support.h"

namespace mneme::workers::courier {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kPartitions = 3;

std::string Bootstrap() {
  const char* b = std::getenv("MNEME_KAFKA_BOOTSTRAP");
  return b != nullptr ? b : "";
}

std::string UniquePrefix(const std::string& name) {
  static std::atomic<int> counter{0};
  return name + std::to_string(std::time(nullptr)) + "x" + std::to_string(getpid()) + "x" +
         std::to_string(counter++);
}

std::shared_ptr<spdlog::logger> NullLogger() {
  return std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
}

// Polls `done` every 20 ms until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& done, std::chrono::steady_clock::duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

// An idempotent producer for test records; Flush() says whether all arrived.
class TestProducer {
 public:
  TestProducer() {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", Bootstrap().c_str(), err, sizeof(err));
    rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof(err));
    rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof(err));
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* self) {
      if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++static_cast<TestProducer*>(self)->failed_;
      }
    });
    producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (producer_ == nullptr) {
      rd_kafka_conf_destroy(conf);
      ADD_FAILURE() << err;
    }
  }
  ~TestProducer() {
    if (producer_ != nullptr) {
      rd_kafka_flush(producer_, 10000);
      rd_kafka_destroy(producer_);
    }
  }
  TestProducer(const TestProducer&) = delete;
  TestProducer& operator=(const TestProducer&) = delete;

  // A null key or value is sent as null (a value of nullopt is a tombstone).
  void Send(const std::string& topic, const std::optional<std::string>& key,
            const std::optional<std::string>& value, int32_t partition = RD_KAFKA_PARTITION_UA) {
    char* key_data = key ? const_cast<char*>(key->data()) : nullptr;
    const size_t key_size = key ? key->size() : 0;
    char* value_data = value ? const_cast<char*>(value->data()) : nullptr;
    const size_t value_size = value ? value->size() : 0;
    const rd_kafka_resp_err_t e = rd_kafka_producev(
        producer_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_KEY(key_data, key_size), RD_KAFKA_V_VALUE(value_data, value_size),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    ASSERT_EQ(e, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(e);
  }
  bool Flush() {
    return rd_kafka_flush(producer_, 30000) == RD_KAFKA_RESP_ERR_NO_ERROR && failed_ == 0;
  }

 private:
  rd_kafka_t* producer_ = nullptr;
  std::atomic<int> failed_{0};
};

// What the DispatchFns saw: calls per message id and which courier made them.
class Recorder {
 public:
  DispatchFn Fn(const std::string& courier, milliseconds delay = milliseconds(0)) {
    return [this, courier, delay](const CourierRecord& r) {
      {
        std::lock_guard lock(mu_);
        ++calls_[r.message_id];
        ++per_courier_[courier];
        values_[r.message_id] = r.value;
        ++total_;
      }
      if (delay.count() > 0) {
        std::this_thread::sleep_for(delay);
      }
      DispatchReport report;
      report.status = "sent";
      report.dispatches.push_back(
          {{"id", "dispatch-" + r.message_id}, {"status", "success"}, {"at", 1700000000000000}});
      return report;
    };
  }
  std::map<std::string, int> Calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  size_t Total() const {
    std::lock_guard lock(mu_);
    return total_;
  }
  size_t Unique() const {
    std::lock_guard lock(mu_);
    return calls_.size();
  }
  size_t By(const std::string& courier) const {
    std::lock_guard lock(mu_);
    auto it = per_courier_.find(courier);
    return it == per_courier_.end() ? 0 : it->second;
  }
  std::string Value(const std::string& id) const {
    std::lock_guard lock(mu_);
    auto it = values_.find(id);
    return it == values_.end() ? "" : it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, int> calls_;
  std::map<std::string, size_t> per_courier_;
  std::map<std::string, std::string> values_;
  size_t total_ = 0;
};

// A courier running on a thread of its own.
class RunningCourier {
 public:
  RunningCourier(const std::string& prefix, const std::string& worker, DispatchFn fn,
                 size_t concurrency, size_t max_buffered = 1024) {
    KafkaCourierOptions o;
    o.brokers = Bootstrap();
    o.topic_prefix = prefix;
    o.worker_id = worker;
    o.concurrency = concurrency;
    o.max_buffered = max_buffered;
    auto made = KafkaCourier::Create(o, std::move(fn), NullLogger());
    if (!made) {
      ADD_FAILURE() << made.error().ToString();
      return;
    }
    courier_ = std::move(*made);
    thread_ = std::thread([this] { result_ = courier_->Run(stop_); });
  }
  ~RunningCourier() { Stop(); }
  RunningCourier(const RunningCourier&) = delete;
  RunningCourier& operator=(const RunningCourier&) = delete;

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
      EXPECT_TRUE(result_.has_value()) << result_.error().ToString();
    }
  }
  KafkaCourier& courier() { return *courier_; }

 private:
  std::unique_ptr<KafkaCourier> courier_;
  std::atomic<bool> stop_{false};
  Status result_ = OkStatus();
  std::thread thread_;
};

class KafkaCourierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(Bootstrap().empty())
        << "scripts/test starts the broker and sets MNEME_KAFKA_BOOTSTRAP";
  }

  // The courier topics of `prefix`, with kPartitions partitions.
  static void MakeTopics(const std::string& prefix) {
    infra::kafka::KafkaTopicsOptions options;
    options.prefix = prefix;
    options.partitions = kPartitions;
    std::vector<infra::kafka::TopicSpec> topics;
    for (auto& t : infra::kafka::MnemeTopics(options)) {
      if (t.name == prefix + ".courier" || t.name == prefix + ".courier.status") {
        topics.push_back(std::move(t));
      }
    }
    auto made = infra::kafka::EnsureTopics(Bootstrap(), topics, seconds(30));
    ASSERT_TRUE(made.has_value()) << made.error().ToString();
  }

  // Every report on the status topic, by message id (last one wins).
  static std::map<std::string, std::vector<std::string>> Reports(const std::string& prefix,
                                                                 size_t want) {
    std::map<std::string, std::vector<std::string>> out;
    mneme::testing::ReadTopics({prefix + ".courier.status"}, want, seconds(15),
                               [&](rd_kafka_message_t* m) {
                                 out[std::string(static_cast<char*>(m->key), m->key_len)]
                                     .emplace_back(static_cast<char*>(m->payload), m->len);
                               });
    return out;
  }

  // Starts a new courier in the group of `prefix` once its earlier members
  // are gone, puts a sentinel on every partition and checks that the
  // sentinels are all it dispatches: the group's offsets were committed.
  static void ExpectNothingRedelivered(const std::string& prefix) {
    Recorder later;
    RunningCourier courier(prefix, "later", later.Fn("later"), 4);
    ASSERT_TRUE(WaitFor([&] { return courier.courier().AssignedPartitions() == kPartitions; },
                        seconds(60)));
    TestProducer producer;
    for (int32_t p = 0; p < kPartitions; ++p) {
      producer.Send(prefix + ".courier", "sentinel-" + std::to_string(p), "{}", p);
    }
    ASSERT_TRUE(producer.Flush());
    ASSERT_TRUE(WaitFor([&] { return later.Unique() >= kPartitions; }, seconds(60)));
    courier.Stop();
    std::set<std::string> seen;
    for (const auto& [id, n] : later.Calls()) {
      seen.insert(id);
    }
    EXPECT_EQ(seen, (std::set<std::string>{"sentinel-0", "sentinel-1", "sentinel-2"}))
        << "a later member of the group dispatches nothing committed before";
  }
};

TEST_F(KafkaCourierTest, OneCourierDispatchesEveryMessageReportsAndCommits) {
  const std::string prefix = UniquePrefix("courier1");
  MakeTopics(prefix);
  constexpr int kMessages = 200;
  {
    TestProducer producer;
    for (int i = 0; i < kMessages; ++i) {
      producer.Send(prefix + ".courier", "message-" + std::to_string(i),
                    R"({"n":)" + std::to_string(i) + "}");
      if (i == 50) {
        producer.Send(prefix + ".courier", std::nullopt, R"({"no":"key"})");
        producer.Send(prefix + ".courier", "message-empty", std::string());
      }
    }
    ASSERT_TRUE(producer.Flush());
  }
  Recorder recorder;
  {
    // A narrow window: consumption pauses and resumes many times on the way.
    RunningCourier courier(prefix, "solo", recorder.Fn("solo"), 8, /*max_buffered=*/40);
    ASSERT_TRUE(WaitFor([&] { return courier.courier().Processed() >= kMessages; }, seconds(90)))
        << "processed " << courier.courier().Processed();
    // The two records without a key or value are committed too, never dispatched.
    std::this_thread::sleep_for(milliseconds(300));
    courier.Stop();
    EXPECT_EQ(courier.courier().Processed(), static_cast<uint64_t>(kMessages));
  }
  const auto calls = recorder.Calls();
  ASSERT_EQ(calls.size(), static_cast<size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) {
    const std::string id = "message-" + std::to_string(i);
    EXPECT_EQ(calls.count(id) ? calls.at(id) : 0, 1) << id;
  }
  EXPECT_EQ(recorder.Value("message-7"), R"({"n":7})");
  EXPECT_EQ(calls.count("message-empty"), 0u);

  const auto reports = Reports(prefix, kMessages);
  ASSERT_EQ(reports.size(), static_cast<size_t>(kMessages));
  for (const auto& [id, values] : reports) {
    ASSERT_EQ(values.size(), 1u) << id;
    auto report = DispatchReportFromJson(values[0]);
    ASSERT_TRUE(report.has_value()) << report.error().ToString();
    EXPECT_EQ(report->message_id, id);
    EXPECT_EQ(report->status, "sent");
    EXPECT_EQ(report->worker, "solo");
    ASSERT_EQ(report->dispatches.size(), 1u);
    EXPECT_EQ(report->dispatches[0]["id"], "dispatch-" + id);
  }
  ExpectNothingRedelivered(prefix);
}

TEST_F(KafkaCourierTest, ACourierStoppedMidwayHandsItsPartitionsOverWithNothingLost) {
  const std::string prefix = UniquePrefix("courier3");
  MakeTopics(prefix);
  Recorder recorder;
  std::vector<std::unique_ptr<RunningCourier>> couriers;
  for (const char* name : {"a", "b", "c"}) {
    couriers.push_back(
        std::make_unique<RunningCourier>(prefix, name, recorder.Fn(name, milliseconds(30)), 4));
  }
  ASSERT_TRUE(WaitFor(
      [&] {
        for (auto& c : couriers) {
          if (c->courier().AssignedPartitions() != 1) {
            return false;
          }
        }
        return true;
      },
      seconds(60)))
      << "three members share three partitions";

  constexpr int kMessages = 600;
  {
    TestProducer producer;
    for (int i = 0; i < kMessages; ++i) {
      producer.Send(prefix + ".courier", "message-" + std::to_string(i), "{}");
    }
    ASSERT_TRUE(producer.Flush());
  }
  ASSERT_TRUE(WaitFor([&] { return recorder.Total() >= kMessages / 4; }, seconds(60)));
  couriers[1]->Stop();
  const size_t b_dispatched = recorder.By("b");
  const uint64_t b_processed = couriers[1]->courier().Processed();
  EXPECT_GT(b_dispatched, 0u);
  EXPECT_EQ(b_processed, b_dispatched) << "b reported everything it started before leaving";
  ASSERT_TRUE(WaitFor([&] { return recorder.Unique() >= kMessages; }, seconds(120)))
      << "dispatched " << recorder.Unique() << " of " << kMessages;
  ASSERT_TRUE(WaitFor(
      [&] {
        return couriers[0]->courier().Processed() + couriers[2]->courier().Processed() +
                   b_processed >=
               recorder.Total();
      },
      seconds(60)));
  EXPECT_EQ(couriers[0]->courier().AssignedPartitions() +
                couriers[2]->courier().AssignedPartitions(),
            static_cast<size_t>(kPartitions))
      << "b's partition moved to a or c";
  couriers[0]->Stop();
  couriers[2]->Stop();

  EXPECT_EQ(recorder.By("b"), b_dispatched) << "b dispatched nothing after it stopped";
  EXPECT_GT(recorder.By("a") + recorder.By("c"), 0u);
  size_t duplicates = 0;
  for (const auto& [id, n] : recorder.Calls()) {
    duplicates += n - 1;
  }
  // Records in flight are reported and committed before a revocation is
  // acknowledged, so even the handover sends nothing twice.
  EXPECT_EQ(duplicates, 0u);
  EXPECT_EQ(recorder.Total(), static_cast<size_t>(kMessages));

  const auto reports = Reports(prefix, kMessages);
  EXPECT_EQ(reports.size(), static_cast<size_t>(kMessages)) << "every report landed";
  std::set<std::string> workers;
  for (const auto& [id, values] : reports) {
    auto report = DispatchReportFromJson(values.back());
    ASSERT_TRUE(report.has_value()) << report.error().ToString();
    workers.insert(report->worker);
  }
  EXPECT_EQ(workers, (std::set<std::string>{"a", "b", "c"}));
  couriers.clear();
  ExpectNothingRedelivered(prefix);
}

TEST_F(KafkaCourierTest, StatusConsumerIngestsEachReportOnceAcrossARestart) {
  const std::string prefix = UniquePrefix("status");
  MakeTopics(prefix);
  constexpr int kReports = 20;
  {
    TestProducer producer;
    for (int i = 0; i < kReports; ++i) {
      const std::string id = "message-" + std::to_string(i);
      DispatchReport r{id, "sent", nlohmann::json::array(), "w"};
      producer.Send(prefix + ".courier.status", id, ToJson(r).dump());
    }
    producer.Send(prefix + ".courier.status", "message-gone", std::nullopt);  // a tombstone
    ASSERT_TRUE(producer.Flush());
  }
  std::mutex mu;
  std::map<std::string, int> attempts;
  std::map<std::string, int> ingested;
  auto ingest = [&](const std::string& id, const std::string& value) -> Status {
    std::lock_guard lock(mu);
    if (++attempts[id] <= 2 && id == "message-3") {
      return MakeError(Code::kUnavailable, "store busy");
    }
    auto report = DispatchReportFromJson(value);
    EXPECT_TRUE(report.has_value()) << value;
    EXPECT_EQ(report ? report->message_id : "", id);
    ++ingested[id];
    return OkStatus();
  };
  infra::kafka::StatusConsumerOptions options;
  options.brokers = Bootstrap();
  options.topic_prefix = prefix;
  {
    auto consumer = infra::kafka::StatusConsumer::Create(options, ingest, NullLogger());
    ASSERT_TRUE(consumer.has_value()) << consumer.error().ToString();
    ASSERT_TRUE((*consumer)->Start().has_value());
    ASSERT_TRUE(WaitFor([&] { return (*consumer)->Ingested() >= kReports; }, seconds(60)))
        << "ingested " << (*consumer)->Ingested();
    (*consumer)->Stop();
  }
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(ingested.size(), static_cast<size_t>(kReports));
    for (const auto& [id, n] : ingested) {
      EXPECT_EQ(n, 1) << id;
    }
    EXPECT_EQ(attempts["message-3"], 3) << "retried while the store was unavailable";
    EXPECT_EQ(attempts.count("message-gone"), 0u) << "tombstones are skipped";
    ingested.clear();
  }
  // The same group again: only what arrives now.
  auto consumer = infra::kafka::StatusConsumer::Create(options, ingest, NullLogger());
  ASSERT_TRUE(consumer.has_value());
  ASSERT_TRUE((*consumer)->Start().has_value());
  {
    TestProducer producer;
    for (int32_t p = 0; p < kPartitions; ++p) {
      DispatchReport r{"sentinel-" + std::to_string(p), "abandoned", nlohmann::json::array(), "w"};
      producer.Send(prefix + ".courier.status", r.message_id, ToJson(r).dump(), p);
    }
    ASSERT_TRUE(producer.Flush());
  }
  ASSERT_TRUE(WaitFor([&] { return (*consumer)->Ingested() >= kPartitions; }, seconds(60)));
  (*consumer)->Stop();
  std::lock_guard lock(mu);
  std::set<std::string> seen;
  for (const auto& [id, n] : ingested) {
    seen.insert(id);
  }
  EXPECT_EQ(seen, (std::set<std::string>{"sentinel-0", "sentinel-1", "sentinel-2"}));
}

}  // namespace
}  // namespace mneme::workers::courier
