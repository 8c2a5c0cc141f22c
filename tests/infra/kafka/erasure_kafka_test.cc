// Erasure and Kafka's copy (issue 6): with the relay running, an identity's
// personal data never appears in clear in any topic, and its erasure is a
// tombstone on the keys topic after the wrapped key.
#include <librdkafka/rdkafka.h>

#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

#include <spdlog/sinks/null_sink.h>
#include <unistd.h>

#include "api/admin/identity_service.h"
#include "infra/crypto/personal_data_vault.h"
#include "infra/hash/hasher.h"
#include "infra/kafka/event_relay.h"
#include "infra/store/rocks_event_store.h"
#include "infra/system/system.h"
#include "projections/identities.h"
#include "projections/identity_activity.h"
#include "tests/infra/kafka/topic_reader.h"
#include "tests/support/test_support.h"

namespace mneme::infra::kafka {
namespace {

struct Record {
  std::string topic;
  std::string key;
  std::optional<std::string> value;
};

std::vector<Record> ConsumeAll(const std::vector<std::string>& topic_names, std::chrono::seconds quiet) {
  std::vector<Record> out;
  mneme::testing::ReadTopics(topic_names, SIZE_MAX, quiet, [&](rd_kafka_message_t* m) {
    Record r{rd_kafka_topic_name(m->rkt), std::string(static_cast<char*>(m->key), m->key_len),
             std::nullopt};
    if (m->payload) {
      r.value = std::string(static_cast<char*>(m->payload), m->len);
    }
    out.push_back(std::move(r));
  });
  return out;
}

TEST(ErasureKafkaTest, NothingPersonalInTheTopicsAndTheKeyIsTombstoned) {
  const char* bootstrap = std::getenv("MNEME_KAFKA_BOOTSTRAP");
  ASSERT_NE(bootstrap, nullptr) << "scripts/test starts the broker and sets MNEME_KAFKA_BOOTSTRAP";
  mneme::testing::TempDir dir;
  auto schemas = api::SchemaRegistry::Create(
      {{"default", "file://x", mneme::testing::LoadSourceJson("tests/fixtures/identity.schema.json"), ""}},
      "default", "http://127.0.0.1:4433/");
  ASSERT_TRUE(schemas.has_value());
  hash::HasherConfig hc;
  hc.bcrypt_cost = 4;
  auto hasher = hash::Hasher::Create(hc);
  crypto::PersonalDataVault vault(crypto::DataKeyring({"0123456789abcdef0123456789abcdef"}));
  projections::Identities identities(vault);
  projections::IdentityActivity activity;
  store::StoreOptions o;
  o.path = dir.str();
  o.catch_up_on_open = false;
  auto store = store::RocksEventStore::Open(o, {&identities, &activity});
  ASSERT_TRUE(store.has_value());
  vault.SetStore(store->get());
  system::SystemClock clock;
  system::RandomIdGenerator ids;
  api::IdentityService service(**store, **store, vault, **schemas, **hasher, clock, ids);

  const std::string prefix = "erasure" + std::to_string(std::time(nullptr)) + std::to_string(getpid());
  auto log = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
  auto relay = EventRelay::Create({bootstrap, prefix}, **store, log);
  ASSERT_TRUE(relay.has_value()) << relay.error().ToString();
  (*relay)->Start();

  const std::string email = "olympia-kafka-erase@example.com";
  const std::string last = "Brightwater-Kafka";
  auto created = service.Create({{"schema_id", "default"},
                                 {"traits", {{"email", email}, {"name", {{"first", "Olympia"}, {"last", last}}}}},
                                 {"credentials", {{"password", {{"config", {{"password", "a long passphrase"}}}}}}}},
                                "admin", "r");
  ASSERT_TRUE(created.has_value()) << created.error().ToString();
  ASSERT_TRUE(service.Erase(created->id, "admin", "r").has_value());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while ((*relay)->Lag() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  (*relay)->Stop();
  ASSERT_EQ((*relay)->Lag(), 0u);

  auto records = ConsumeAll({prefix + ".events", prefix + ".keys"}, std::chrono::seconds(10));
  size_t events = 0;
  std::vector<std::optional<std::string>> keys;
  for (const auto& r : records) {
    if (r.value) {
      for (const std::string& needle : {email, last, std::string("Olympia")}) {
        EXPECT_EQ(r.value->find(needle), std::string::npos) << needle << " in " << r.topic;
      }
    }
    if (r.topic == prefix + ".events") {
      ++events;
    } else if (r.key == created->id) {
      keys.push_back(r.value);
    }
  }
  EXPECT_GE(events, 4u) << "created, credential set, deleted, erased";
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_TRUE(keys[0].has_value()) << "the wrapped data key, published with the first event";
  EXPECT_FALSE(keys[1].has_value()) << "the erasure is a tombstone";
  (*store)->Close();
}

}  // namespace
}  // namespace mneme::infra::kafka
