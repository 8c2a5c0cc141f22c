// Mirror lag: how long after an append returns its event is readable on
// "<prefix>.events". One appender appends to a RocksEventStore (temp dir,
// synced appends as in production) at a steady rate while an EventRelay
// mirrors the log to a fresh topic prefix; a consumer assigned to every
// partition of "<prefix>.events" reads each event's position header and
// records when it arrived. Lag = receive time - append-return time, per
// position. A few events (not counted) first make sure the relay's producer
// and the consumer are connected, then --warmup seconds at the rate (not
// counted either) warm up a freshly started broker. Prints the achieved
// append rate, append latency and p50/p90/p99/p99.9/max lag, and on stderr
// the seconds whose p99 exceeded 20 ms.
//   mirror_bench --brokers HOST:PORT [--rate 2000] [--seconds 20] [--warmup 2]
//                [--prefix P] [--dir PATH]
// Progress goes to stderr; the figures to stdout.
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "infra/kafka/event_relay.h"
#include "infra/kafka/topic_admin.h"
#include "infra/store/rocks_event_store.h"

using namespace mneme;
using Clock = std::chrono::steady_clock;

namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) {
    return 0;
  }
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()));
  return sorted[i];
}

// Reads every partition of `topic` from the beginning (no group
// coordination, no commits) and stamps the arrival of each position.
class PositionReader {
 public:
  PositionReader(const std::string& brokers, const std::string& topic, int partitions,
                 std::vector<std::atomic<int64_t>>& received)
      : received_(received) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof(err));
    rd_kafka_conf_set(conf, "group.id", (topic + "-lag-reader").c_str(), err, sizeof(err));
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err));
    consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (consumer_ == nullptr) {
      std::fprintf(stderr, "consumer: %s\n", err);
      std::exit(1);
    }
    rd_kafka_poll_set_consumer(consumer_);
    auto* list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p) {
      rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(consumer_, list);
    rd_kafka_topic_partition_list_destroy(list);
    thread_ = std::thread([this] { Run(); });
  }
  ~PositionReader() {
    stop_ = true;
    thread_.join();
    rd_kafka_consumer_close(consumer_);
    rd_kafka_destroy(consumer_);
  }
  uint64_t count() const { return count_.load(); }
  uint64_t duplicates() const { return duplicates_.load(); }

 private:
  void Run() {
    while (!stop_) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_, 100);
      if (m == nullptr) {
        continue;
      }
      const int64_t now = NowNs();
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_headers_t* headers = nullptr;
        const void* v = nullptr;
        size_t n = 0;
        if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            rd_kafka_header_get_last(headers, "position", &v, &n) == RD_KAFKA_RESP_ERR_NO_ERROR) {
          const uint64_t position = std::stoull(std::string(static_cast<const char*>(v), n));
          if (position < received_.size()) {
            int64_t expected = 0;
            if (received_[position].compare_exchange_strong(expected, now)) {
              ++count_;
            } else {
              ++duplicates_;  // a resend: the first arrival counts
            }
          }
        }
      }
      rd_kafka_message_destroy(m);
    }
  }

  std::vector<std::atomic<int64_t>>& received_;
  rd_kafka_t* consumer_ = nullptr;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> duplicates_{0};
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string brokers;
  std::string prefix = "mirror" + std::to_string(std::time(nullptr)) + "x" + std::to_string(getpid());
  double rate = 2000;
  double seconds = 20;
  double warmup = 2;
  std::string dir = std::filesystem::temp_directory_path() / ("mneme-mirror-bench-" + std::to_string(getpid()));
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const std::string v = argv[i + 1];
    if (a == "--brokers") {
      brokers = v;
    } else if (a == "--rate") {
      rate = std::stod(v);
    } else if (a == "--seconds") {
      seconds = std::stod(v);
    } else if (a == "--warmup") {
      warmup = std::stod(v);
    } else if (a == "--prefix") {
      prefix = v;
    } else if (a == "--dir") {
      dir = v;
    }
  }
  if (brokers.empty()) {
    std::fprintf(stderr,
                 "usage: mirror_bench --brokers HOST:PORT [--rate 2000] [--seconds 20] [--warmup 2] "
                 "[--prefix P] [--dir PATH]\n");
    return 2;
  }
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto log = std::make_shared<spdlog::logger>("mirror-bench", sink);
  log->set_level(spdlog::level::warn);

  infra::kafka::KafkaTopicsOptions topics;
  topics.prefix = prefix;
  auto made = infra::kafka::EnsureTopics(brokers, infra::kafka::MnemeTopics(topics),
                                         std::chrono::seconds(30));
  if (!made) {
    std::fprintf(stderr, "topics: %s\n", made.error().ToString().c_str());
    return 1;
  }
  const std::string topic = prefix + ".events";
  auto described = infra::kafka::DescribeTopic(brokers, topic, std::chrono::seconds(30));
  if (!described) {
    std::fprintf(stderr, "describe %s: %s\n", topic.c_str(), described.error().ToString().c_str());
    return 1;
  }

  std::filesystem::remove_all(dir);
  infra::store::StoreOptions o;
  o.path = dir;
  auto store = infra::store::RocksEventStore::Open(o, {});
  if (!store) {
    std::fprintf(stderr, "open: %s\n", store.error().ToString().c_str());
    return 1;
  }

  // Positions 1..skip are not measured: 20 events that must arrive before
  // anything else (the relay's producer has its id, the reader fetches), then
  // `warmup` seconds at the rate (a freshly started broker's JIT warms up).
  constexpr uint64_t kFirst = 20;
  const uint64_t warm_steady = static_cast<uint64_t>(rate * warmup);
  const uint64_t skip = kFirst + warm_steady;
  const uint64_t measured = static_cast<uint64_t>(rate * seconds);
  const uint64_t capacity = skip + measured + 1;
  std::vector<std::atomic<int64_t>> appended(capacity);
  std::vector<std::atomic<int64_t>> received(capacity);
  std::vector<double> append_ms;
  append_ms.reserve(measured);

  const std::string payload =
      R"({"plain":{"session_id":"0d8e4c1f-6f1b-4cde-9a57-4b2fbc0a3e11","aal":"aal1","methods":["password"]},)"
      R"("pii":"c2VhbGVkLWRldmljZS1kYXRhLW9mLWFib3V0LWEtaHVuZHJlZC1jaGFyYWN0ZXJzLTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODk"})";
  auto append = [&](uint64_t i) -> bool {
    domain::AppendRequest r;
    r.stream = "session-" + std::to_string(i % 5000);
    domain::NewEvent e;
    e.type = i % 2 ? "session.refreshed" : "session.issued";
    e.actor = "bench";
    e.request_id = "bench";
    e.data = payload;
    r.events.push_back(std::move(e));
    const int64_t start = NowNs();
    auto res = (*store)->Append(std::move(r));
    const int64_t done = NowNs();
    if (!res) {
      std::fprintf(stderr, "append: %s\n", res.error().ToString().c_str());
      return false;
    }
    const uint64_t position = res->last_position.value();
    if (position < capacity) {
      appended[position] = done;
    }
    if (i >= skip) {
      append_ms.push_back(static_cast<double>(done - start) / 1e6);
    }
    return true;
  };

  PositionReader reader(brokers, topic, described->partitions, received);
  auto relay = infra::kafka::EventRelay::Create({brokers, prefix}, **store, log);
  if (!relay) {
    std::fprintf(stderr, "relay: %s\n", relay.error().ToString().c_str());
    return 1;
  }
  (*relay)->Start();

  // Warm-up: the relay's producer has its producer id, the reader fetches.
  for (uint64_t i = 0; i < kFirst; ++i) {
    if (!append(i)) {
      return 1;
    }
  }
  const auto warm_deadline = Clock::now() + std::chrono::seconds(60);
  while (reader.count() < kFirst && Clock::now() < warm_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (reader.count() < kFirst) {
    std::fprintf(stderr, "warm-up events did not arrive (%llu/%llu)\n",
                 static_cast<unsigned long long>(reader.count()),
                 static_cast<unsigned long long>(kFirst));
    return 1;
  }
  if (warm_steady > 0) {
    std::fprintf(stderr, "  warming up: %.0f s at %.0f events/s (not measured)\n", warmup, rate);
    const auto w0 = Clock::now();
    for (uint64_t k = 0; k < warm_steady; ++k) {
      std::this_thread::sleep_until(w0 + std::chrono::nanoseconds(static_cast<int64_t>(k * 1e9 / rate)));
      if (!append(kFirst + k)) {
        return 1;
      }
    }
  }
  std::fprintf(stderr, "  warmed up; appending %llu events at %.0f/s to %s (%d partitions)\n",
               static_cast<unsigned long long>(measured), rate, topic.c_str(),
               described->partitions);

  // Steady rate: event i is due at t0 + i / rate (late ones go at once).
  const auto t0 = Clock::now();
  auto next_progress = t0 + std::chrono::seconds(1);
  uint64_t last_received = reader.count();
  for (uint64_t k = 0; k < measured; ++k) {
    const auto due = t0 + std::chrono::nanoseconds(static_cast<int64_t>(k * 1e9 / rate));
    std::this_thread::sleep_until(due);
    if (!append(skip + k)) {
      return 1;
    }
    if (Clock::now() >= next_progress) {
      const uint64_t rx = reader.count();
      std::fprintf(stderr,
                   "  %4.1fs appended %llu received %llu (+%llu) relay lag %llu events\n",
                   std::chrono::duration<double>(Clock::now() - t0).count(),
                   static_cast<unsigned long long>(k + 1),
                   static_cast<unsigned long long>(rx > skip ? rx - skip : 0),
                   static_cast<unsigned long long>(rx - last_received),
                   static_cast<unsigned long long>((*relay)->Lag()));
      last_received = rx;
      next_progress += std::chrono::seconds(1);
    }
  }
  const double append_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const auto drain_deadline = Clock::now() + std::chrono::seconds(30);
  while (reader.count() < skip + measured && Clock::now() < drain_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  (*relay)->Stop();

  std::vector<double> lags;
  lags.reserve(measured);
  uint64_t missing = 0;
  uint64_t early = 0;  // arrived before Append returned to its caller
  for (uint64_t p = skip + 1; p < capacity; ++p) {
    const int64_t a = appended[p].load();
    const int64_t r = received[p].load();
    if (a == 0 || r == 0) {
      ++missing;
      continue;
    }
    if (r < a) {
      ++early;
    }
    lags.push_back(static_cast<double>(std::max<int64_t>(r - a, 0)) / 1e6);
  }
  // Per second of appending: where the tail comes from.
  {
    const int64_t start_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(t0.time_since_epoch()).count();
    std::vector<std::vector<double>> by_second(static_cast<size_t>(seconds) + 2);
    for (uint64_t p = skip + 1; p < capacity; ++p) {
      const int64_t a = appended[p].load();
      const int64_t r = received[p].load();
      if (a == 0 || r == 0) {
        continue;
      }
      const size_t s = std::min(by_second.size() - 1, static_cast<size_t>(std::max<int64_t>(a - start_ns, 0) / 1000000000));
      by_second[s].push_back(static_cast<double>(std::max<int64_t>(r - a, 0)) / 1e6);
    }
    for (size_t s = 0; s < by_second.size(); ++s) {
      auto& v = by_second[s];
      std::sort(v.begin(), v.end());
      if (!v.empty() && Percentile(v, 0.99) > 20) {
        std::fprintf(stderr, "  slow second %zu: %zu events, lag p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
                     s, v.size(), Percentile(v, 0.5), Percentile(v, 0.99), v.back());
      }
    }
  }
  std::sort(lags.begin(), lags.end());
  std::sort(append_ms.begin(), append_ms.end());
  std::printf("appended %llu events in %.2f s: %.0f events/s (target %.0f/s), append p50 %.3f ms, p99 %.3f ms\n",
              static_cast<unsigned long long>(measured), append_seconds,
              static_cast<double>(measured) / append_seconds, rate, Percentile(append_ms, 0.50),
              Percentile(append_ms, 0.99));
  std::printf("received %llu/%llu on %s (missing %llu, duplicates %llu, before the append returned %llu)\n",
              static_cast<unsigned long long>(lags.size()),
              static_cast<unsigned long long>(measured), topic.c_str(),
              static_cast<unsigned long long>(missing),
              static_cast<unsigned long long>(reader.duplicates()),
              static_cast<unsigned long long>(early));
  std::printf("mirror lag: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms (target p99 <= 100 ms)\n",
              Percentile(lags, 0.50), Percentile(lags, 0.90), Percentile(lags, 0.99),
              Percentile(lags, 0.999), lags.empty() ? 0.0 : lags.back());
  std::fflush(stdout);
  relay->reset();
  (*store)->Close();
  store->reset();
  std::filesystem::remove_all(dir);
  return missing == 0 ? 0 : 1;
}
