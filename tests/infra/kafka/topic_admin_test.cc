// mneme's topics on the real broker: created with their settings (the status
// and keys topics compacted), and a second run changes nothing.
#include "infra/kafka/topic_admin.h"

#include <ctime>

#include <unistd.h>

#include "tests/support/test_support.h"

namespace mneme::infra::kafka {
namespace {

TEST(TopicAdminTest, CreatesMnemesTopicsOnceWithTheirSettings) {
  const char* bootstrap = std::getenv("MNEME_KAFKA_BOOTSTRAP");
  ASSERT_NE(bootstrap, nullptr) << "scripts/test starts the broker and sets MNEME_KAFKA_BOOTSTRAP";
  KafkaTopicsOptions options;
  options.prefix = "topics" + std::to_string(std::time(nullptr)) + std::to_string(getpid());
  options.partitions = 3;
  auto first = EnsureTopics(bootstrap, MnemeTopics(options), std::chrono::seconds(30));
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  ASSERT_EQ(first->size(), 4u);
  for (const auto& t : *first) {
    EXPECT_EQ(t.outcome, TopicOutcome::kCreated) << t.name;
  }
  auto second = EnsureTopics(bootstrap, MnemeTopics(options), std::chrono::seconds(30));
  ASSERT_TRUE(second.has_value()) << second.error().ToString();
  for (const auto& t : *second) {
    EXPECT_EQ(t.outcome, TopicOutcome::kExisted) << t.name;
  }
  for (const auto& [suffix, policy] : std::vector<std::pair<std::string, std::string>>{
           {".events", "delete"}, {".courier", "delete"}, {".courier.status", "compact"},
           {".keys", "compact"}}) {
    auto d = DescribeTopic(bootstrap, options.prefix + suffix, std::chrono::seconds(10));
    ASSERT_TRUE(d.has_value()) << suffix << ": " << d.error().ToString();
    EXPECT_EQ(d->partitions, 3) << suffix;
    EXPECT_EQ(d->cleanup_policy, policy) << suffix;
  }
  EXPECT_FALSE(DescribeTopic(bootstrap, options.prefix + ".nope", std::chrono::seconds(5)).has_value());
}

TEST(TopicAdminTest, ABrokerThatRefusesASettingIsAClearError) {
  const char* bootstrap = std::getenv("MNEME_KAFKA_BOOTSTRAP");
  ASSERT_NE(bootstrap, nullptr);
  KafkaTopicsOptions options;
  options.prefix = "badtopics" + std::to_string(getpid());
  options.replication_factor = 3;  // one broker only
  auto made = EnsureTopics(bootstrap, MnemeTopics(options), std::chrono::seconds(20));
  ASSERT_FALSE(made.has_value());
  EXPECT_EQ(made.error().code(), Code::kInvalidArgument);
  EXPECT_NE(made.error().message().find(options.prefix), std::string::npos) << made.error().message();
}

}  // namespace
}  // namespace mneme::infra::kafka
