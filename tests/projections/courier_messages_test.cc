// The courier message index: rows per message, the newest-first order, the
// queue of unsent messages, per-identity rows and their removal with the
// identity.
#include "projections/courier_messages.h"

#include <nlohmann/json.hpp>

#include "domain/courier/message.h"
#include "infra/crypto/mail_vault.h"
#include "tests/support/map_rows.h"
#include "tests/support/test_support.h"

namespace mneme::projections {
namespace {

using mneme::testing::HasCode;
using mneme::testing::IsOk;
using domain::Timestamp;
using mneme::testing::MapRows;
using nlohmann::json;
namespace courier = domain::courier;

const std::string kSecret = "0123456789abcdef0123456789abcdef";
const std::string kAlice = "11111111-1111-4111-8111-111111111111";
const std::string kBob = "22222222-2222-4222-8222-222222222222";
const std::string kM1 = "00000000-0000-4000-8000-000000000001";
const std::string kM2 = "00000000-0000-4000-8000-000000000002";
const std::string kM3 = "00000000-0000-4000-8000-000000000003";

class CourierMessagesTest : public ::testing::Test {
 protected:
  // The envelope of `event` on message `id`'s stream, sealed as the courier
  // service seals it.
  domain::EventEnvelope Envelope(const std::string& id, const courier::Event& event, int64_t at) {
    const std::string stream = courier::StreamOf(id);
    auto enc = courier::Encode(event);
    auto data = domain::SealEventData(vault_, stream, enc.plain, enc.personal);
    EXPECT_THAT(data, IsOk());
    domain::EventEnvelope e;
    e.position = GlobalPosition(++position_);
    e.stream = stream;
    e.version = StreamVersion(1);
    e.type = enc.type;
    e.time = Timestamp{at};
    e.actor = "system";
    e.data = data.value_or("");
    return e;
  }
  static courier::MessageQueued Queued(const std::string& identity_id,
                                       const std::string& recipient) {
    courier::MessageQueued q;
    q.template_type = "verification_code_valid";
    q.identity_id = identity_id;
    q.flow_id = "flow-1";
    q.recipient = recipient;
    q.subject = "Please verify your email address";
    q.body = "code 123456";
    return q;
  }
  Status Apply(const std::string& id, const courier::Event& event, int64_t at = 1000) {
    return projection_.Apply(Envelope(id, event, at), rows_);
  }
  json Row(const std::string& id) {
    auto it = rows_.rows.find(CourierMessages::RowKey(id));
    return it == rows_.rows.end() ? json() : json::parse(it->second, nullptr, false);
  }
  bool InQueue(const std::string& id) {
    return rows_.rows.count(CourierMessages::QueueKey(id)) == 1;
  }
  // The ids the "o/" rows list, in key order (newest first).
  std::vector<std::string> Listing() {
    std::vector<std::string> ids;
    for (const auto& key : rows_.KeysWith("o/")) {
      ids.push_back(rows_.rows.at(key));
    }
    return ids;
  }

  infra::crypto::MailVault vault_{std::vector<std::string>{kSecret}};
  CourierMessages projection_{vault_};
  MapRows rows_;
  uint64_t position_ = 0;
};

TEST_F(CourierMessagesTest, AQueuedMessageIsIndexedFourWays) {
  EXPECT_EQ(projection_.Name(), "courier_messages_v1");
  ASSERT_THAT(Apply(kM1, Queued(kAlice, "alice@example.com"), 5000), IsOk());
  const std::string order = CourierMessages::OrderKey(Timestamp{5000}, kM1);
  EXPECT_EQ(Row(kM1), (json{{"status", "queued"},
                            {"recipient", "alice@example.com"},
                            {"identity_id", kAlice},
                            {"template_type", "verification_code_valid"},
                            {"order", order}}));
  EXPECT_EQ(rows_.rows.at(order), kM1);
  EXPECT_TRUE(InQueue(kM1));
  EXPECT_EQ(rows_.rows.count(CourierMessages::IdentityPrefix(kAlice) + kM1), 1u);
  EXPECT_EQ(rows_.rows.size(), 4u);
  // The bodies stay in the (sealed) stream; the index holds none of them.
  for (const auto& [key, value] : rows_.rows) {
    EXPECT_EQ(value.find("123456"), std::string::npos) << key;
  }
}

TEST_F(CourierMessagesTest, MailToAnUnknownAddressHasNoIdentityRow) {
  ASSERT_THAT(Apply(kM1, Queued("", "nobody@example.com")), IsOk());
  EXPECT_EQ(Row(kM1).value("identity_id", "?"), "");
  EXPECT_TRUE(rows_.KeysWith("x/").empty());
  EXPECT_EQ(rows_.rows.size(), 3u);
}

TEST_F(CourierMessagesTest, TheListingIsNewestFirst) {
  ASSERT_THAT(Apply(kM1, Queued(kAlice, "a@example.com"), 100), IsOk());
  ASSERT_THAT(Apply(kM2, Queued(kAlice, "a@example.com"), 300), IsOk());
  ASSERT_THAT(Apply(kM3, Queued(kBob, "b@example.com"), 200), IsOk());
  EXPECT_EQ(Listing(), (std::vector<std::string>{kM2, kM3, kM1}));
  EXPECT_LT(CourierMessages::OrderKey(Timestamp{2}, "a"),
            CourierMessages::OrderKey(Timestamp{1}, "a"));
  // Same instant: by id.
  EXPECT_LT(CourierMessages::OrderKey(Timestamp{1}, kM1),
            CourierMessages::OrderKey(Timestamp{1}, kM2));
  EXPECT_EQ(CourierMessages::OrderKey(Timestamp{0}, "m"), "o/ffffffffffffffff/m");
}

TEST_F(CourierMessagesTest, StatusFollowsTheAttemptsUntilSent) {
  ASSERT_THAT(Apply(kM1, Queued(kAlice, "alice@example.com")), IsOk());
  ASSERT_THAT(Apply(kM1, courier::MessageProcessing{}), IsOk());
  EXPECT_EQ(Row(kM1)["status"], "processing");
  EXPECT_TRUE(InQueue(kM1));
  ASSERT_THAT(Apply(kM1, courier::MessageDispatchFailed{"d1", {{"message", "421"}}, "w"}), IsOk());
  EXPECT_EQ(Row(kM1)["status"], "queued");
  EXPECT_TRUE(InQueue(kM1));
  ASSERT_THAT(Apply(kM1, courier::MessageProcessing{}), IsOk());
  ASSERT_THAT(Apply(kM1, courier::MessageSent{"d2", "w"}), IsOk());
  EXPECT_EQ(Row(kM1)["status"], "sent");
  EXPECT_FALSE(InQueue(kM1));
  // The rest of the row and the other indexes stay.
  EXPECT_EQ(Row(kM1)["recipient"], "alice@example.com");
  EXPECT_EQ(Listing(), std::vector<std::string>{kM1});
  EXPECT_EQ(rows_.rows.count(CourierMessages::IdentityPrefix(kAlice) + kM1), 1u);
}

TEST_F(CourierMessagesTest, AnAbandonedMessageLeavesTheQueue) {
  ASSERT_THAT(Apply(kM1, Queued(kAlice, "alice@example.com")), IsOk());
  ASSERT_THAT(Apply(kM2, Queued(kAlice, "alice@example.com")), IsOk());
  ASSERT_THAT(Apply(kM1, courier::MessageProcessing{}), IsOk());
  ASSERT_THAT(Apply(kM1, courier::MessageDispatchFailed{"d1", {{"message", "550"}}, "w"}), IsOk());
  ASSERT_THAT(Apply(kM1, courier::MessageAbandoned{"max retries exceeded"}), IsOk());
  EXPECT_EQ(Row(kM1)["status"], "abandoned");
  EXPECT_FALSE(InQueue(kM1));
  EXPECT_TRUE(InQueue(kM2));
  EXPECT_EQ(rows_.KeysWith("q/"), std::vector<std::string>{CourierMessages::QueueKey(kM2)});
}

TEST_F(CourierMessagesTest, StatusAfterNamesKratosStatuses) {
  EXPECT_EQ(CourierMessages::StatusAfter("courier.message.queued"), "queued");
  EXPECT_EQ(CourierMessages::StatusAfter("courier.message.processing"), "processing");
  EXPECT_EQ(CourierMessages::StatusAfter("courier.message.dispatch_failed"), "queued");
  EXPECT_EQ(CourierMessages::StatusAfter("courier.message.sent"), "sent");
  EXPECT_EQ(CourierMessages::StatusAfter("courier.message.abandoned"), "abandoned");
  EXPECT_EQ(CourierMessages::StatusAfter("identity.deleted"), "");
}

TEST_F(CourierMessagesTest, DeletingAnIdentityRemovesItsMessages) {
  ASSERT_THAT(Apply(kM1, Queued(kAlice, "alice@example.com"), 100), IsOk());
  ASSERT_THAT(Apply(kM2, Queued(kBob, "bob@example.com"), 200), IsOk());
  ASSERT_THAT(Apply(kM3, Queued(kAlice, "alice@example.com"), 300), IsOk());
  ASSERT_THAT(Apply(kM3, courier::MessageProcessing{}), IsOk());
  ASSERT_THAT(Apply(kM3, courier::MessageSent{"d1", "w"}), IsOk());
  const size_t bobs_rows = 4;

  domain::EventEnvelope deleted;
  deleted.stream = "identity-" + kAlice;
  deleted.type = "identity.deleted";
  deleted.data = R"({"plain":{}})";
  ASSERT_THAT(projection_.Apply(deleted, rows_), IsOk());
  EXPECT_TRUE(Row(kM1).is_null());
  EXPECT_TRUE(Row(kM3).is_null());
  EXPECT_FALSE(InQueue(kM1));
  EXPECT_TRUE(rows_.KeysWith(CourierMessages::IdentityPrefix(kAlice)).empty());
  EXPECT_EQ(Listing(), std::vector<std::string>{kM2});
  EXPECT_EQ(rows_.rows.size(), bobs_rows);
  EXPECT_EQ(Row(kM2)["status"], "queued");

  // A late report about a deleted message does not bring its row back.
  ASSERT_THAT(Apply(kM1, courier::MessageProcessing{}), IsOk());
  ASSERT_THAT(Apply(kM1, courier::MessageAbandoned{"x"}), IsOk());
  EXPECT_TRUE(Row(kM1).is_null());
  EXPECT_FALSE(InQueue(kM1));
  EXPECT_EQ(rows_.rows.size(), bobs_rows);
}

TEST_F(CourierMessagesTest, OtherEventsAndStreamsAreIgnored) {
  domain::EventEnvelope e;
  e.stream = "identity-" + kAlice;
  e.type = "identity.created";
  e.data = "not even json";
  ASSERT_THAT(projection_.Apply(e, rows_), IsOk());
  e.stream = "session-1";
  e.type = "session.issued";
  ASSERT_THAT(projection_.Apply(e, rows_), IsOk());
  e.stream = "message-" + kM1;
  e.type = "courier.message.annotated";
  ASSERT_THAT(projection_.Apply(e, rows_), IsOk());
  // A status change of a message the index never saw queued.
  ASSERT_THAT(Apply(kM2, courier::MessageSent{"d1", "w"}), IsOk());
  EXPECT_TRUE(rows_.rows.empty());
}

TEST_F(CourierMessagesTest, MailSealedForAnotherMessageIsDataLoss) {
  auto moved = Envelope(kM1, Queued(kAlice, "alice@example.com"), 100);
  moved.stream = courier::StreamOf(kM2);
  EXPECT_THAT(projection_.Apply(moved, rows_), HasCode(Code::kDataLoss));
  infra::crypto::MailVault other({"fedcba9876543210fedcba9876543210"});
  CourierMessages elsewhere(other);
  EXPECT_THAT(elsewhere.Apply(Envelope(kM1, Queued(kAlice, "a@example.com"), 100), rows_),
              HasCode(Code::kDataLoss));
  EXPECT_TRUE(rows_.rows.empty());
}

TEST_F(CourierMessagesTest, ACorruptRowIsDataLoss) {
  rows_.rows[CourierMessages::RowKey(kM1)] = "{not json";
  EXPECT_THAT(Apply(kM1, courier::MessageProcessing{}), HasCode(Code::kDataLoss));
}

}  // namespace
}  // namespace mneme::projections
