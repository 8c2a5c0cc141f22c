// The relay against the real broker: every committed event reaches
// "<prefix>.events" with its stream as key and position/type/version headers,
// in order per key; the checkpoint follows delivery reports and a new relay
// resumes after it.
#include "infra/kafka/event_relay.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <spdlog/sinks/null_sink.h>

#include "tests/infra/kafka/topic_reader.h"
#include "tests/support/test_support.h"

namespace mneme::infra::kafka {
namespace {

struct Seen {
  std::string key;
  uint64_t position = 0;
  uint64_t version = 0;
  std::string type;
};

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

// Reads `topic` from the beginning with a fresh group until `want` messages
// arrived or `quiet` passed without any.
std::vector<Seen> Consume(const std::string& topic, size_t want, std::chrono::seconds quiet) {
  std::vector<Seen> out;
  mneme::testing::ReadTopics({topic}, want, quiet, [&](rd_kafka_message_t* m) {
    out.push_back({std::string(static_cast<char*>(m->key), m->key_len),
                   std::stoull(Header(m, "position")), std::stoull(Header(m, "version")),
                   Header(m, "type")});
  });
  return out;
}

void Append(store::RocksEventStore& store, int n) {
  for (int i = 0; i < n; ++i) {
    domain::AppendRequest r;
    r.stream = "identity-" + std::to_string(i % 10);
    domain::NewEvent e;
    e.type = i % 2 ? "identity.traits_updated" : "identity.state_changed";
    e.data = "{}";
    r.events.push_back(e);
    ASSERT_TRUE(store.Append(std::move(r)).has_value());
  }
}

// Waits until the relay has no backlog, at most a minute.
void WaitForDrain(EventRelay& relay) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (relay.Lag() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

class EventRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ = std::getenv("MNEME_KAFKA_BOOTSTRAP");
    ASSERT_NE(bootstrap_, nullptr) << "scripts/test starts the broker and sets MNEME_KAFKA_BOOTSTRAP";
    store::StoreOptions o;
    o.path = dir_.str();
    auto store = store::RocksEventStore::Open(o, {});
    ASSERT_TRUE(store.has_value());
    store_ = std::move(*store);
  }
  Result<std::unique_ptr<EventRelay>> NewRelay(const std::string& prefix) {
    return EventRelay::Create({bootstrap_, prefix}, *store_, log_);
  }
  static std::string UniquePrefix(const std::string& name) {
    return name + std::to_string(std::time(nullptr)) + std::to_string(getpid());
  }

  const char* bootstrap_ = nullptr;
  mneme::testing::TempDir dir_;
  std::unique_ptr<store::RocksEventStore> store_;
  std::shared_ptr<spdlog::logger> log_ =
      std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
};

TEST_F(EventRelayTest, MirrorsEveryEventInOrderPerKeyAndResumes) {
  const std::string prefix = UniquePrefix("relaytest");
  Append(*store_, 500);
  {
    auto relay = NewRelay(prefix);
    ASSERT_TRUE(relay.has_value()) << relay.error().ToString();
    (*relay)->Start();
    WaitForDrain(**relay);
    EXPECT_EQ((*relay)->Lag(), 0u);
    (*relay)->Stop();
    EXPECT_EQ((*relay)->Checkpoint(), 500u);
  }
  EXPECT_EQ(store_->RelayPosition(), 500u);
  auto seen = Consume(prefix + ".events", 500, std::chrono::seconds(20));
  ASSERT_EQ(seen.size(), 500u);
  std::map<std::string, uint64_t> last_version;
  std::set<uint64_t> positions;
  for (const auto& s : seen) {
    EXPECT_GT(s.version, last_version[s.key]) << "in order per key " << s.key;
    last_version[s.key] = s.version;
    positions.insert(s.position);
    EXPECT_FALSE(s.type.empty());
  }
  EXPECT_EQ(positions.size(), 500u);
  // A new relay resumes after the checkpoint.
  Append(*store_, 50);
  {
    auto relay = NewRelay(prefix);
    ASSERT_TRUE(relay.has_value());
    (*relay)->Start();
    WaitForDrain(**relay);
    (*relay)->Stop();
  }
  auto all = Consume(prefix + ".events", 10000, std::chrono::seconds(5));
  std::set<uint64_t> unique;
  for (const auto& s : all) {
    unique.insert(s.position);
  }
  EXPECT_EQ(unique.size(), 550u);
  EXPECT_EQ(*unique.rbegin(), 550u);
  EXPECT_EQ(all.size(), 550u) << "no duplicates without failures";
}

}  // namespace
}  // namespace mneme::infra::kafka

namespace mneme::infra::kafka {
namespace {

struct KeyRecord {
  std::string key;
  std::optional<std::string> value;  // nullopt: a tombstone
};

// Every record of `topic` (fresh group, from the beginning) until `quiet`
// passes without one.
std::vector<KeyRecord> ConsumeKeys(const std::string& topic, size_t want, std::chrono::seconds quiet) {
  std::vector<KeyRecord> out;
  mneme::testing::ReadTopics({topic}, want, quiet, [&](rd_kafka_message_t* m) {
    KeyRecord r{std::string(static_cast<char*>(m->key), m->key_len), std::nullopt};
    if (m->payload) {
      r.value = std::string(static_cast<char*>(m->payload), m->len);
    }
    out.push_back(std::move(r));
  });
  return out;
}

// The keys topic carries each owner's wrapped data key from its first event,
// and a tombstone for every key an erasure destroyed; the checkpoint moves
// only when those are delivered too.
TEST_F(EventRelayTest, DataKeysAndErasureTombstonesGoToTheKeysTopic) {
  const std::string prefix = UniquePrefix("relaykeys");
  const std::string id = "6b0c8f4e-2d7a-4f3e-9a51-0c2e8d7b4a10";
  const std::string flow = "flow-0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f";
  {
    domain::AppendRequest r;
    r.stream = "identity-" + id;
    r.events.push_back(domain::NewEvent{"identity.created", 1, {}, "admin", "r",
                                        R"({"plain":{},"pii":"sealed"})", {}});
    r.data_keys.push_back({domain::DataKeyAction::kPut, id, "wrapped-identity-key"});
    ASSERT_TRUE(store_->Append(std::move(r)).has_value());
  }
  {
    domain::AppendRequest r;
    r.stream = flow;
    r.events.push_back(domain::NewEvent{"flow.created", 1, {}, "anonymous", "r",
                                        R"({"plain":{},"pii":"sealed"})", {}});
    r.data_keys.push_back({domain::DataKeyAction::kPut, flow, "wrapped-flow-key"});
    ASSERT_TRUE(store_->Append(std::move(r)).has_value());
  }
  auto relay = NewRelay(prefix);
  ASSERT_TRUE(relay.has_value()) << relay.error().ToString();
  (*relay)->Start();
  WaitForDrain(**relay);
  // Erase: both keys go in the append, and the event names them.
  {
    domain::AppendRequest r;
    r.stream = "identity-" + id;
    r.events.push_back(domain::NewEvent{"identity.erased", 1, {}, "admin", "r",
                                        R"({"plain":{"data_keys":[")" + id + R"(",")" + flow + R"("]}})",
                                        {}});
    r.data_keys.push_back({domain::DataKeyAction::kDelete, id, ""});
    r.data_keys.push_back({domain::DataKeyAction::kDelete, flow, ""});
    ASSERT_TRUE(store_->Append(std::move(r)).has_value());
  }
  WaitForDrain(**relay);
  (*relay)->Stop();
  EXPECT_EQ((*relay)->Checkpoint(), 3u);
  auto records = ConsumeKeys(prefix + ".keys", 4, std::chrono::seconds(20));
  std::map<std::string, std::vector<std::optional<std::string>>> by_key;
  for (const auto& r : records) {
    by_key[r.key].push_back(r.value);
  }
  ASSERT_EQ(by_key[id].size(), 2u);
  EXPECT_EQ(by_key[id][0], std::optional<std::string>("wrapped-identity-key"));
  EXPECT_EQ(by_key[id][1], std::nullopt) << "the erasure is a tombstone";
  ASSERT_EQ(by_key[flow].size(), 2u);
  EXPECT_EQ(by_key[flow][0], std::optional<std::string>("wrapped-flow-key"));
  EXPECT_EQ(by_key[flow][1], std::nullopt);
}

}  // namespace
}  // namespace mneme::infra::kafka
