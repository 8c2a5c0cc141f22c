// Requirement: "Relay: the broker stopped for 10 s during 5,000 appends, then
// restarted: every event reaches Kafka, in order per key, each exactly once
// after dedupe by position."
//
// A thread appends 5,000 events over 50 streams at a steady pace (~15 s) while
// the relay mirrors them to a fresh "<prefix>.events" (6 partitions). Early in
// the run the broker that scripts/test started is stopped for 10 s through
// scripts/kafka (same KAFKA_DIR / ports, so it comes back with its data) and
// started again. Once the relay's lag is 0, the whole topic is read back: every
// position 1..5000 is there with the key, version and type it was appended
// with; duplicates (resends) are exact copies, and after dropping them by the
// "position" header each key's events come in strictly increasing position
// and version order (versions 1, 2, 3, ... with no gap).
#include "infra/kafka/event_relay.h"

#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <spdlog/sinks/ringbuffer_sink.h>

#include "infra/kafka/topic_admin.h"
#include "tests/infra/kafka/topic_reader.h"
#include "tests/support/test_support.h"

namespace mneme::infra::kafka {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kEvents = 5000;
constexpr int kStreams = 50;
constexpr int kPartitions = 6;
constexpr auto kAppendPeriod = milliseconds(3);     // 5,000 x 3 ms = 15 s
constexpr auto kStopAfter = seconds(2);              // the broker goes away ~2 s in
constexpr auto kDownFor = seconds(10);
constexpr auto kDrainTimeout = seconds(120);

std::string Header(rd_kafka_message_t* m, const char* name) {
  rd_kafka_headers_t* headers = nullptr;
  const void* v = nullptr;
  size_t n = 0;
  if (rd_kafka_message_headers(m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      rd_kafka_header_get_last(headers, name, &v, &n) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return "";
  }
  return std::string(static_cast<const char*>(v), n);
}

uint64_t ParseU64(const std::string& s) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) {
    return 0;
  }
  return std::stoull(s);
}

// Runs scripts/kafka with the environment scripts/test exported (KAFKA_DIR,
// KAFKA_PORT, KAFKA_CONTROLLER_PORT). Returns the exit status.
int Kafka(const std::string& verb) {
  const std::string cmd =
      std::string("cd '") + MNEME_SOURCE_DIR + "' && scripts/kafka " + verb + " >/dev/null";
  const int rc = std::system(cmd.c_str());
  return rc == -1 ? -1 : WEXITSTATUS(rc);
}

// Keeps the shared broker up for the tests that follow: whatever happens, a
// broker this guard stopped is started again when it goes out of scope.
class BrokerGuard {
 public:
  BrokerGuard() = default;
  BrokerGuard(const BrokerGuard&) = delete;
  BrokerGuard& operator=(const BrokerGuard&) = delete;
  ~BrokerGuard() {
    if (down_) {
      const int rc = Kafka("start");
      if (rc != 0) {
        ADD_FAILURE() << "could not restart the broker (scripts/kafka start exited " << rc << ")";
      }
    }
  }
  int Stop() {
    down_ = true;  // even a failed stop may have taken it down
    return Kafka("stop");
  }
  int Start() {
    const int rc = Kafka("start");
    if (rc == 0) {
      down_ = false;
    }
    return rc;
  }

 private:
  bool down_ = false;
};

// Sum over the partitions of (high watermark - low watermark): how many
// messages the topic holds (no transactions, so offsets are contiguous).
Result<size_t> MessagesIn(const std::string& bootstrap, const std::string& topic, int partitions) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof(err));
  rd_kafka_t* k = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (!k) {
    rd_kafka_conf_destroy(conf);
    return MakeError(Code::kUnavailable, err);
  }
  size_t total = 0;
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0;
    int64_t high = 0;
    const auto e = rd_kafka_query_watermark_offsets(k, topic.c_str(), p, &low, &high, 10000);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_destroy(k);
      return MakeError(Code::kUnavailable,
                       "watermarks of " + topic + "/" + std::to_string(p) + ": " + rd_kafka_err2str(e));
    }
    total += static_cast<size_t>(high - low);
  }
  rd_kafka_destroy(k);
  return total;
}

struct Appended {
  std::string stream;
  uint64_t version = 0;
  std::string type;
};

struct Seen {
  std::string key;
  int32_t partition = -1;
  uint64_t position = 0;
  uint64_t version = 0;
  std::string type;
};

class RelayOutageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* bootstrap = std::getenv("MNEME_KAFKA_BOOTSTRAP");
    ASSERT_NE(bootstrap, nullptr) << "scripts/test starts the broker and sets MNEME_KAFKA_BOOTSTRAP";
    bootstrap_ = bootstrap;
    ASSERT_NE(std::getenv("KAFKA_DIR"), nullptr)
        << "scripts/test exports the broker's KAFKA_DIR (and KAFKA_PORT, KAFKA_CONTROLLER_PORT); "
           "this test stops and restarts that broker through scripts/kafka";
    store::StoreOptions o;
    o.path = dir_.str();
    auto store = store::RocksEventStore::Open(o, {});
    ASSERT_TRUE(store.has_value()) << store.error().ToString();
    store_ = std::move(*store);
    log_->set_level(spdlog::level::info);
  }

  // The relay's last log lines (thread-safe).
  std::string LogText() const {
    std::string out;
    for (const auto& line : log_lines_->last_formatted()) {
      out += line;
    }
    return out;
  }

  std::string bootstrap_;
  mneme::testing::TempDir dir_;
  std::unique_ptr<store::RocksEventStore> store_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> log_lines_ =
      std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(200);
  std::shared_ptr<spdlog::logger> log_ = std::make_shared<spdlog::logger>("relay", log_lines_);
};

TEST_F(RelayOutageTest, BrokerStoppedForTenSecondsDuringFiveThousandAppends) {
  const auto test_start = Clock::now();
  const std::string prefix =
      "relayoutage" + std::to_string(std::time(nullptr)) + std::to_string(getpid());
  const std::string topic = prefix + ".events";
  {
    KafkaTopicsOptions t;
    t.prefix = prefix;
    t.partitions = kPartitions;
    auto made = EnsureTopics(bootstrap_, MnemeTopics(t), seconds(30));
    ASSERT_TRUE(made.has_value()) << made.error().ToString();
  }

  auto relay = EventRelay::Create({bootstrap_, prefix}, *store_, log_);
  ASSERT_TRUE(relay.has_value()) << relay.error().ToString();
  (*relay)->Start();
  // Declared after the relay: on an early exit the broker is back before the
  // relay's Stop() flushes.
  BrokerGuard broker;

  // The appender: event i at start + i * 3 ms, one event per append, stream
  // i % 50. What it appended, by position, for the checks below.
  std::mutex appended_mu;
  std::map<uint64_t, Appended> appended;
  std::atomic<bool> stop_appending{false};
  std::atomic<int> append_failures{0};
  const auto append_start = Clock::now();
  std::thread appender([&] {
    for (int i = 0; i < kEvents && !stop_appending; ++i) {
      std::this_thread::sleep_until(append_start + i * kAppendPeriod);
      domain::AppendRequest r;
      r.stream = "identity-outage-" + std::to_string(i % kStreams);
      domain::NewEvent e;
      e.type = i % 3 ? "identity.traits_updated" : "identity.state_changed";
      e.data = R"({"i":)" + std::to_string(i) + "}";
      r.events.push_back(e);
      const std::string stream = r.stream;
      auto result = store_->Append(std::move(r));
      if (!result) {
        ++append_failures;
        continue;
      }
      std::lock_guard lock(appended_mu);
      appended[result->last_position.value()] = {stream, result->last_version.value(), e.type};
    }
  });
  struct JoinGuard {
    std::thread& t;
    std::atomic<bool>& stop;
    ~JoinGuard() {
      stop = true;
      if (t.joinable()) {
        t.join();
      }
    }
  } join_appender{appender, stop_appending};

  // The outage.
  std::this_thread::sleep_until(append_start + kStopAfter);
  const uint64_t checkpoint_at_stop = (*relay)->Checkpoint();
  const uint64_t head_at_stop = store_->Head().value();
  const auto stop_at = Clock::now();
  ASSERT_EQ(broker.Stop(), 0) << "scripts/kafka stop failed";
  const auto down_at = Clock::now();  // the broker process has exited
  const uint64_t head_at_down = store_->Head().value();
  std::this_thread::sleep_until(down_at + kDownFor);
  const uint64_t checkpoint_before_start = (*relay)->Checkpoint();
  const uint64_t lag_before_start = (*relay)->Lag();
  const uint64_t head_at_up = store_->Head().value();
  ASSERT_EQ(broker.Start(), 0) << "scripts/kafka start failed";
  const auto up_at = Clock::now();

  appender.join();
  const auto append_end = Clock::now();
  ASSERT_EQ(append_failures.load(), 0);
  ASSERT_EQ(appended.size(), static_cast<size_t>(kEvents));
  ASSERT_EQ(store_->Head().value(), static_cast<uint64_t>(kEvents));
  // The outage really held the relay back: nothing appended while the broker
  // was away could have been confirmed.
  EXPECT_GT(lag_before_start, 0u) << "the relay was not held back by the outage";
  EXPECT_LE(checkpoint_before_start, head_at_down)
      << "events appended while the broker was down were confirmed";

  // The backlog drains once the broker is back.
  const auto deadline = Clock::now() + kDrainTimeout;
  while ((*relay)->Lag() > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  const auto drained_at = Clock::now();
  ASSERT_EQ((*relay)->Lag(), 0u) << "the backlog did not drain within "
                                 << kDrainTimeout.count() << " s of the restart; checkpoint="
                                 << (*relay)->Checkpoint() << "\nrelay log:\n" << LogText();
  EXPECT_EQ((*relay)->Checkpoint(), static_cast<uint64_t>(kEvents));
  (*relay)->Stop();
  EXPECT_EQ((*relay)->Checkpoint(), static_cast<uint64_t>(kEvents));
  EXPECT_EQ(store_->RelayPosition(), static_cast<uint64_t>(kEvents)) << "the checkpoint was saved";

  // Read the whole topic: exactly as many messages as its watermarks say.
  auto total = MessagesIn(bootstrap_, topic, kPartitions);
  ASSERT_TRUE(total.has_value()) << total.error().ToString();
  ASSERT_GE(*total, static_cast<size_t>(kEvents)) << "fewer messages than events in " << topic;
  std::vector<Seen> seen;
  seen.reserve(*total);
  mneme::testing::ReadTopics({topic}, *total, seconds(30), [&](rd_kafka_message_t* m) {
    seen.push_back({m->key ? std::string(static_cast<char*>(m->key), m->key_len) : "", m->partition,
                    ParseU64(Header(m, "position")), ParseU64(Header(m, "version")),
                    Header(m, "type")});
  });
  ASSERT_EQ(seen.size(), *total) << "could not read back all of " << topic;

  // Dedupe by position (first copy wins, as a consumer does) and check order
  // per key on what remains.
  std::map<uint64_t, const Seen*> first;
  std::map<std::string, uint64_t> last_position;
  std::map<std::string, uint64_t> last_version;
  std::map<std::string, int32_t> partition_of;
  size_t duplicates = 0;
  size_t problems = 0;
  // Reports the first 20 problems in full, counts the rest.
  std::ostringstream details;
  std::ostringstream dropped;
  auto problem = [&]() -> std::ostream& {
    ++problems;
    return problems <= 20 ? details : dropped;
  };
  for (const auto& s : seen) {
    ASSERT_TRUE(s.position >= 1 && s.position <= static_cast<uint64_t>(kEvents))
        << "a message with position header " << s.position << " key " << s.key;
    const Appended& want = appended.at(s.position);
    // Every copy carries what was appended at its position.
    if (s.key != want.stream || s.version != want.version || s.type != want.type) {
      problem() << "position " << s.position << ": got key=" << s.key << " version=" << s.version
                << " type=" << s.type << ", appended key=" << want.stream
                << " version=" << want.version << " type=" << want.type << "\n";
    }
    if (auto [p, inserted] = partition_of.emplace(s.key, s.partition); p->second != s.partition) {
      problem() << "key " << s.key << " on partitions " << p->second << " and " << s.partition << "\n";
    }
    if (!first.emplace(s.position, &s).second) {
      ++duplicates;
      continue;
    }
    if (s.position <= last_position[s.key]) {
      problem() << "key " << s.key << ": position " << s.position << " after "
                << last_position[s.key] << " (out of order after dedupe)\n";
    }
    if (s.version != last_version[s.key] + 1) {
      problem() << "key " << s.key << ": version " << s.version << " after " << last_version[s.key]
                << " (out of order or a gap after dedupe)\n";
    }
    last_position[s.key] = s.position;
    last_version[s.key] = s.version;
  }
  EXPECT_EQ(problems, 0u) << "wrong content or order in " << topic << " (first 20):\n"
                         << details.str();
  EXPECT_EQ(first.size(), static_cast<size_t>(kEvents)) << "distinct positions in " << topic;
  std::vector<uint64_t> missing;
  for (uint64_t pos = 1; pos <= static_cast<uint64_t>(kEvents); ++pos) {
    if (!first.count(pos)) {
      missing.push_back(pos);
    }
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " positions never reached Kafka, first "
                               << missing.front();
  EXPECT_EQ(last_version.size(), static_cast<size_t>(kStreams));
  for (const auto& [key, v] : last_version) {
    EXPECT_EQ(v, static_cast<uint64_t>(kEvents / kStreams)) << "last version of " << key;
  }

  auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
  std::cout << "[ outage ] messages=" << seen.size() << " duplicates=" << duplicates
            << "; at stop: head=" << head_at_stop << " checkpoint=" << checkpoint_at_stop
            << "; broker exited: head=" << head_at_down << "; at restart: head=" << head_at_up
            << " checkpoint=" << checkpoint_before_start << " lag=" << lag_before_start << "\n"
            << "[ outage ] stop took " << secs(down_at - stop_at) << " s, down "
            << secs(up_at - down_at) << " s (incl. start); appends took "
            << secs(append_end - append_start) << " s; drained " << secs(drained_at - up_at)
            << " s after the restart; test " << secs(Clock::now() - test_start) << " s\n";
  const std::string& log = LogText();
  if (log.find("resending") != std::string::npos) {
    std::cout << "[ outage ] relay log:\n" << log;
  }
}

}  // namespace
}  // namespace mneme::infra::kafka
