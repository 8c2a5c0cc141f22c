// The courier message aggregate: given/when/then over events, the codec and
// Kratos's JSON. Pure; no storage.
#include "domain/courier/message.h"

#include "tests/support/test_support.h"

namespace mneme::domain::courier {
namespace {

using mneme::testing::HasCode;
using mneme::testing::IsOk;
using nlohmann::json;

constexpr const char* kMessageId = "6a9b1c1e-2f7d-4b8e-8d55-6f1f2b3c4d5e";

class Given {
 public:
  explicit Given(std::vector<Event> history) {
    state_.id = kMessageId;
    for (const auto& e : history) {
      state_ = Evolve(state_, e, Timestamp{t_++});
    }
  }
  Given& When(Command c) {
    result_ = Decide(state_, c);
    return *this;
  }
  void ThenEvents(const std::vector<std::string>& types) {
    ASSERT_TRUE(result_.has_value()) << result_.error().ToString();
    std::vector<std::string> got;
    for (const auto& e : *result_) {
      got.push_back(TypeOf(e));
    }
    EXPECT_EQ(got, types);
  }
  void ThenError(Code code) { EXPECT_THAT(result_, HasCode(code)); }
  // Applies what the last When decided.
  Given& Apply() {
    if (result_) {
      for (const auto& e : *result_) {
        state_ = Evolve(state_, e, Timestamp{t_++});
      }
    }
    return *this;
  }
  const Message& state() const { return state_; }
  // What the last When decided; empty when it failed.
  const std::vector<Event>& events() const { return result_ ? *result_ : none_; }

 private:
  Message state_;
  int64_t t_ = 1000;
  Result<std::vector<Event>> result_ = std::vector<Event>{};
  std::vector<Event> none_;
};

QueueMessage Queue() {
  QueueMessage q;
  q.template_type = "verification_code_valid";
  q.identity_id = "0b5e6a43-8f46-4e5b-9a77-8e4b6e1f0c11";
  q.flow_id = "8e1d2c3b-4a59-4687-9a1b-2c3d4e5f6a7b";
  q.recipient = "jane@example.org";
  q.subject = "Please verify your email address";
  q.body = "Hi,\n\n492011\n";
  q.html_body = "<p>492011</p>";
  return q;
}

MessageQueued Queued() {
  MessageQueued e;
  e.template_type = "verification_code_valid";
  e.identity_id = "0b5e6a43-8f46-4e5b-9a77-8e4b6e1f0c11";
  e.flow_id = "8e1d2c3b-4a59-4687-9a1b-2c3d4e5f6a7b";
  e.recipient = "jane@example.org";
  e.subject = "Please verify your email address";
  e.body = "Hi,\n\n492011\n";
  e.html_body = "<p>492011</p>";
  return e;
}

RecordAttempt Failure(std::string dispatch_id, int max_retries = kDefaultMessageRetries) {
  RecordAttempt a;
  a.ok = false;
  a.dispatch_id = std::move(dispatch_id);
  a.error = {{"message", "dial tcp 127.0.0.1:25: connect: connection refused"}};
  a.worker = "worker-1";
  a.max_retries = max_retries;
  return a;
}

RecordAttempt Success(std::string dispatch_id) {
  RecordAttempt a;
  a.ok = true;
  a.dispatch_id = std::move(dispatch_id);
  a.error = nullptr;
  a.worker = "worker-1";
  return a;
}

// ---- Decide ----

TEST(CourierMessageDecide, QueueEmitsQueuedWithEverythingGiven) {
  Given g({});
  g.When(Queue()).ThenEvents({"courier.message.queued"});
  ASSERT_EQ(g.events().size(), 1u);
  const auto& q = std::get<MessageQueued>(g.events().front());
  EXPECT_EQ(q.template_type, "verification_code_valid");
  EXPECT_EQ(q.channel, "email");
  EXPECT_EQ(q.recipient, "jane@example.org");
  EXPECT_EQ(q.html_body, "<p>492011</p>");
  EXPECT_EQ(q.flow_id, "8e1d2c3b-4a59-4687-9a1b-2c3d4e5f6a7b");
}

TEST(CourierMessageDecide, QueueTwiceIsAlreadyExists) {
  Given({Queued()}).When(Queue()).ThenError(Code::kAlreadyExists);
}

TEST(CourierMessageDecide, QueueWithoutRecipientOrTemplateIsInvalid) {
  QueueMessage q = Queue();
  q.recipient.clear();
  Given({}).When(q).ThenError(Code::kInvalidArgument);
  q = Queue();
  q.template_type.clear();
  Given({}).When(q).ThenError(Code::kInvalidArgument);
}

TEST(CourierMessageDecide, EverythingElseOnAMissingMessageIsNotFound) {
  Given({}).When(StartProcessing{}).ThenError(Code::kNotFound);
  Given({}).When(Success("d1")).ThenError(Code::kNotFound);
  Given({}).When(Failure("d1")).ThenError(Code::kNotFound);
  Given({}).When(Abandon{"operator"}).ThenError(Code::kNotFound);
}

TEST(CourierMessageDecide, StartProcessingAQueuedMessage) {
  Given({Queued()}).When(StartProcessing{}).ThenEvents({"courier.message.processing"});
}

TEST(CourierMessageDecide, ASuccessfulAttemptSends) {
  Given g({Queued(), MessageProcessing{}});
  g.When(Success("d1")).ThenEvents({"courier.message.sent"});
  ASSERT_EQ(g.events().size(), 1u);
  const auto& sent = std::get<MessageSent>(g.events().front());
  EXPECT_EQ(sent.dispatch_id, "d1");
  EXPECT_EQ(sent.worker, "worker-1");
}

TEST(CourierMessageDecide, AFailedAttemptRecordsTheError) {
  Given g({Queued(), MessageProcessing{}});
  g.When(Failure("d1")).ThenEvents({"courier.message.dispatch_failed"});
  ASSERT_EQ(g.events().size(), 1u);
  const auto& failed = std::get<MessageDispatchFailed>(g.events().front());
  EXPECT_EQ(failed.dispatch_id, "d1");
  EXPECT_EQ(failed.error["message"], "dial tcp 127.0.0.1:25: connect: connection refused");
  EXPECT_EQ(failed.worker, "worker-1");
}

TEST(CourierMessageDecide, AnAttemptNeedsADispatchId) {
  Given({Queued()}).When(Failure("")).ThenError(Code::kInvalidArgument);
}

TEST(CourierMessageDecide, AbandonAnOpenMessage) {
  Given g({Queued(), MessageProcessing{}});
  g.When(Abandon{"operator"}).ThenEvents({"courier.message.abandoned"});
  ASSERT_EQ(g.events().size(), 1u);
  EXPECT_EQ(std::get<MessageAbandoned>(g.events().front()).reason, "operator");
}

TEST(CourierMessageDecide, ReportsAboutASentMessageDecideNothing) {
  const std::vector<Event> sent = {Queued(), MessageProcessing{}, MessageSent{"d1", "w"}};
  Given(sent).When(StartProcessing{}).ThenEvents({});
  Given(sent).When(Success("d2")).ThenEvents({});
  Given(sent).When(Failure("d2")).ThenEvents({});
  Given(sent).When(Abandon{"operator"}).ThenEvents({});
}

TEST(CourierMessageDecide, ReportsAboutAnAbandonedMessageDecideNothing) {
  const std::vector<Event> abandoned = {Queued(), MessageAbandoned{"operator"}};
  Given(abandoned).When(StartProcessing{}).ThenEvents({});
  Given(abandoned).When(Success("d1")).ThenEvents({});
  Given(abandoned).When(Failure("d1")).ThenEvents({});
  Given(abandoned).When(Abandon{"again"}).ThenEvents({});
}

TEST(CourierMessageDecide, ARepeatedDispatchIdIsDeduplicated) {
  Given g({Queued(), MessageProcessing{}, MessageDispatchFailed{"d1", {{"message", "x"}}, "w"}});
  ASSERT_EQ(g.state().status, kStatusQueued);
  g.When(Failure("d1")).ThenEvents({});
  // Even a success reported under the id of a recorded failure.
  g.When(Success("d1")).ThenEvents({});
  // A new id is a new attempt.
  g.When(Failure("d2")).ThenEvents({"courier.message.dispatch_failed"});
}

TEST(CourierMessageDecide, AbandonedExactlyWhenSendCountExceedsMaxRetries) {
  // Kratos: abandoned once send_count > courier.message_retries (default 5),
  // so five failures leave the message queued and the sixth abandons it.
  Given g({Queued()});
  for (int i = 1; i <= kDefaultMessageRetries; ++i) {
    SCOPED_TRACE("failure " + std::to_string(i));
    g.When(StartProcessing{}).Apply();
    g.When(Failure("d" + std::to_string(i))).ThenEvents({"courier.message.dispatch_failed"});
    g.Apply();
    EXPECT_EQ(g.state().status, kStatusQueued);
    EXPECT_EQ(g.state().send_count, i);
  }
  g.When(StartProcessing{}).Apply();
  g.When(Failure("d6")).ThenEvents({"courier.message.dispatch_failed", "courier.message.abandoned"});
  ASSERT_EQ(g.events().size(), 2u);
  EXPECT_EQ(std::get<MessageAbandoned>(g.events()[1]).reason, "max retries exceeded");
  g.Apply();
  EXPECT_EQ(g.state().status, kStatusAbandoned);
  EXPECT_EQ(g.state().send_count, 6);
  EXPECT_EQ(g.state().dispatches.size(), 6u);
  EXPECT_EQ(g.state().abandon_reason, "max retries exceeded");
}

TEST(CourierMessageDecide, MaxRetriesComesFromTheCommand) {
  Given({Queued()}).When(Failure("d1", 0)).ThenEvents(
      {"courier.message.dispatch_failed", "courier.message.abandoned"});
  Given({Queued(), MessageDispatchFailed{"d1", {}, "w"}})
      .When(Failure("d2", 2))
      .ThenEvents({"courier.message.dispatch_failed"});
  Given({Queued(), MessageDispatchFailed{"d1", {}, "w"}, MessageDispatchFailed{"d2", {}, "w"}})
      .When(Failure("d3", 2))
      .ThenEvents({"courier.message.dispatch_failed", "courier.message.abandoned"});
}

TEST(CourierMessageDecide, ASuccessAfterFailuresStillSends) {
  Given({Queued(), MessageDispatchFailed{"d1", {}, "w"}, MessageDispatchFailed{"d2", {}, "w"}})
      .When(Success("d3"))
      .ThenEvents({"courier.message.sent"});
}

// ---- Evolve ----

TEST(CourierMessageEvolve, QueuedSetsTheMessageAndItsTimes) {
  Message m;
  m.id = kMessageId;
  m = Evolve(m, Queued(), Timestamp{42});
  EXPECT_TRUE(m.exists);
  EXPECT_EQ(m.status, "queued");
  EXPECT_EQ(m.type, "email");
  EXPECT_EQ(m.channel, "email");
  EXPECT_EQ(m.template_type, "verification_code_valid");
  EXPECT_EQ(m.recipient, "jane@example.org");
  EXPECT_EQ(m.subject, "Please verify your email address");
  EXPECT_EQ(m.body, "Hi,\n\n492011\n");
  EXPECT_EQ(m.html_body, "<p>492011</p>");
  EXPECT_EQ(m.identity_id, "0b5e6a43-8f46-4e5b-9a77-8e4b6e1f0c11");
  EXPECT_EQ(m.flow_id, "8e1d2c3b-4a59-4687-9a1b-2c3d4e5f6a7b");
  EXPECT_EQ(m.send_count, 0);
  EXPECT_TRUE(m.dispatches.empty());
  EXPECT_EQ(m.created_at.micros, 42);
  EXPECT_EQ(m.updated_at.micros, 42);
}

TEST(CourierMessageEvolve, AttemptsCountAndRecordDispatches) {
  Message m;
  m = Evolve(m, Queued(), Timestamp{10});
  m = Evolve(m, MessageProcessing{}, Timestamp{20});
  EXPECT_EQ(m.status, "processing");
  EXPECT_EQ(m.updated_at.micros, 20);

  m = Evolve(m, MessageDispatchFailed{"d1", {{"message", "boom"}}, "w"}, Timestamp{30});
  EXPECT_EQ(m.status, "queued");
  EXPECT_EQ(m.send_count, 1);
  ASSERT_EQ(m.dispatches.size(), 1u);
  EXPECT_EQ(m.dispatches[0], (Dispatch{"d1", "failed", {{"message", "boom"}}, Timestamp{30}}));

  m = Evolve(m, MessageProcessing{}, Timestamp{40});
  m = Evolve(m, MessageSent{"d2", "w"}, Timestamp{50});
  EXPECT_EQ(m.status, "sent");
  EXPECT_EQ(m.send_count, 2);
  ASSERT_EQ(m.dispatches.size(), 2u);
  EXPECT_EQ(m.dispatches[1], (Dispatch{"d2", "success", nullptr, Timestamp{50}}));
  EXPECT_EQ(m.created_at.micros, 10);
  EXPECT_EQ(m.updated_at.micros, 50);
}

TEST(CourierMessageEvolve, AbandonedIsFinalAndKeepsTheReason) {
  Message m;
  m = Evolve(m, Queued(), Timestamp{10});
  m = Evolve(m, MessageAbandoned{"operator"}, Timestamp{11});
  EXPECT_EQ(m.status, "abandoned");
  EXPECT_EQ(m.abandon_reason, "operator");
  EXPECT_EQ(m.send_count, 0);
}

TEST(CourierMessage, StreamAndTypeNames) {
  EXPECT_EQ(StreamOf(kMessageId), std::string("message-") + kMessageId);
  EXPECT_EQ(TypeOf(Queued()), "courier.message.queued");
  EXPECT_EQ(TypeOf(MessageProcessing{}), "courier.message.processing");
  EXPECT_EQ(TypeOf(MessageDispatchFailed{}), "courier.message.dispatch_failed");
  EXPECT_EQ(TypeOf(MessageSent{}), "courier.message.sent");
  EXPECT_EQ(TypeOf(MessageAbandoned{}), "courier.message.abandoned");
}

// ---- Codec ----

Event RoundTrip(const Event& e) {
  const EncodedEvent enc = Encode(e);
  EXPECT_EQ(enc.type, TypeOf(e));
  auto back = Decode(enc.type, enc.plain, enc.personal);
  EXPECT_THAT(back, IsOk());
  return back ? *back : Event{MessageProcessing{}};
}

TEST(CourierMessageCodec, QueuedKeepsAddressAndContentPersonal) {
  const EncodedEvent enc = Encode(Queued());
  EXPECT_EQ(enc.plain, (json{{"template_type", "verification_code_valid"},
                             {"channel", "email"},
                             {"identity_id", "0b5e6a43-8f46-4e5b-9a77-8e4b6e1f0c11"},
                             {"flow_id", "8e1d2c3b-4a59-4687-9a1b-2c3d4e5f6a7b"}}));
  EXPECT_EQ(enc.plain.dump().find("jane"), std::string::npos);
  EXPECT_EQ(enc.plain.dump().find("492011"), std::string::npos);
  EXPECT_EQ(enc.personal, (json{{"recipient", "jane@example.org"},
                                {"subject", "Please verify your email address"},
                                {"body", "Hi,\n\n492011\n"},
                                {"html_body", "<p>492011</p>"}}));

  const auto back = std::get<MessageQueued>(RoundTrip(Queued()));
  const MessageQueued want = Queued();
  EXPECT_EQ(back.template_type, want.template_type);
  EXPECT_EQ(back.channel, want.channel);
  EXPECT_EQ(back.identity_id, want.identity_id);
  EXPECT_EQ(back.flow_id, want.flow_id);
  EXPECT_EQ(back.recipient, want.recipient);
  EXPECT_EQ(back.subject, want.subject);
  EXPECT_EQ(back.body, want.body);
  EXPECT_EQ(back.html_body, want.html_body);
}

TEST(CourierMessageCodec, ErasedPersonalDataDecodesEmpty) {
  const EncodedEvent enc = Encode(Queued());
  auto back = Decode(enc.type, enc.plain, nullptr);
  ASSERT_THAT(back, IsOk());
  const auto& q = std::get<MessageQueued>(*back);
  EXPECT_EQ(q.template_type, "verification_code_valid");
  EXPECT_EQ(q.recipient, "");
  EXPECT_EQ(q.body, "");
}

TEST(CourierMessageCodec, OtherEventsRoundTripWithoutPersonalData) {
  for (const Event& e :
       std::vector<Event>{MessageProcessing{}, MessageDispatchFailed{"d1", {{"message", "x"}}, "w1"},
                          MessageSent{"d2", "w2"}, MessageAbandoned{"max retries exceeded"}}) {
    SCOPED_TRACE(TypeOf(e));
    EXPECT_TRUE(Encode(e).personal.is_null());
  }
  const auto failed = std::get<MessageDispatchFailed>(
      RoundTrip(MessageDispatchFailed{"d1", {{"message", "x"}}, "w1"}));
  EXPECT_EQ(failed.dispatch_id, "d1");
  EXPECT_EQ(failed.error, (json{{"message", "x"}}));
  EXPECT_EQ(failed.worker, "w1");
  const auto sent = std::get<MessageSent>(RoundTrip(MessageSent{"d2", "w2"}));
  EXPECT_EQ(sent.dispatch_id, "d2");
  EXPECT_EQ(sent.worker, "w2");
  EXPECT_EQ(std::get<MessageAbandoned>(RoundTrip(MessageAbandoned{"operator"})).reason,
            "operator");
  EXPECT_TRUE(std::holds_alternative<MessageProcessing>(RoundTrip(MessageProcessing{})));
}

TEST(CourierMessageCodec, MalformedPayloadsAreDataLoss) {
  EXPECT_THAT(Decode("courier.message.unknown", json::object(), nullptr),
              HasCode(Code::kDataLoss));
  EXPECT_THAT(Decode("courier.message.queued", json::object(), nullptr),
              HasCode(Code::kDataLoss));
  EXPECT_THAT(Decode("courier.message.queued", {{"template_type", 7}}, nullptr),
              HasCode(Code::kDataLoss));
  EXPECT_THAT(Decode("courier.message.sent", json::object(), nullptr), HasCode(Code::kDataLoss));
  EXPECT_THAT(Decode("courier.message.dispatch_failed", {{"worker", "w"}}, nullptr),
              HasCode(Code::kDataLoss));
  EXPECT_THAT(Decode("courier.message.abandoned", json::array(), nullptr),
              HasCode(Code::kDataLoss));
}

// ---- Kratos's JSON ----

Message Delivered() {
  Message m;
  m.id = kMessageId;
  m = Evolve(m, Queued(), Timestamp{1704164645123456});  // 2024-01-02T03:04:05.123456Z
  m = Evolve(m, MessageProcessing{}, Timestamp{1704164646000000});
  m = Evolve(m, MessageDispatchFailed{"d1", {{"message", "boom"}}, "w"},
             Timestamp{1704164647000000});
  m = Evolve(m, MessageSent{"d2", "w"}, Timestamp{1704164648000001});
  return m;
}

TEST(CourierMessageKratosJson, FieldsInKratosOrderWithDispatchesNewestFirst) {
  const nlohmann::ordered_json got = ToKratosJson(Delivered(), BodyVisibility::kShown);
  const std::string want = R"({"id":"6a9b1c1e-2f7d-4b8e-8d55-6f1f2b3c4d5e","status":"sent",)"
                           R"("type":"email","recipient":"jane@example.org",)"
                           R"("body":"Hi,\n\n492011\n",)"
                           R"("subject":"Please verify your email address",)"
                           R"("template_type":"verification_code_valid","channel":"email",)"
                           R"("send_count":2,"dispatches":[)"
                           R"({"id":"d2","message_id":"6a9b1c1e-2f7d-4b8e-8d55-6f1f2b3c4d5e",)"
                           R"("status":"success","error":null,)"
                           R"("created_at":"2024-01-02T03:04:08.000001Z",)"
                           R"("updated_at":"2024-01-02T03:04:08.000001Z"},)"
                           R"({"id":"d1","message_id":"6a9b1c1e-2f7d-4b8e-8d55-6f1f2b3c4d5e",)"
                           R"("status":"failed","error":{"message":"boom"},)"
                           R"("created_at":"2024-01-02T03:04:07.000000Z",)"
                           R"("updated_at":"2024-01-02T03:04:07.000000Z"}],)"
                           R"("created_at":"2024-01-02T03:04:05.123456Z",)"
                           R"("updated_at":"2024-01-02T03:04:08.000001Z"})";
  EXPECT_EQ(got.dump(), want);
}

TEST(CourierMessageKratosJson, BodyIsRedactedOutsideDevMode) {
  const auto got = ToKratosJson(Delivered(), BodyVisibility::kRedacted);
  EXPECT_EQ(got["body"], "<redacted-unless-dev-mode>");
  EXPECT_EQ(got["subject"], "Please verify your email address");
  EXPECT_EQ(got["recipient"], "jane@example.org");
  EXPECT_EQ(got.dump().find("492011"), std::string::npos);
  // The HTML body is never part of Kratos's message JSON.
  EXPECT_EQ(ToKratosJson(Delivered(), BodyVisibility::kShown).dump().find("<p>"),
            std::string::npos);
}

TEST(CourierMessageKratosJson, DispatchesAreOmittedWhenNoneOrNotLoaded) {
  Message m;
  m.id = kMessageId;
  m = Evolve(m, Queued(), Timestamp{0});
  const auto queued = ToKratosJson(m, BodyVisibility::kShown);
  EXPECT_FALSE(queued.contains("dispatches"));
  EXPECT_EQ(queued["status"], "queued");
  EXPECT_EQ(queued["send_count"], 0);
  EXPECT_EQ(queued["created_at"], "1970-01-01T00:00:00.000000Z");

  const auto listed = ToKratosJson(Delivered(), BodyVisibility::kShown, DispatchDetail::kOmit);
  EXPECT_FALSE(listed.contains("dispatches"));
  EXPECT_EQ(listed["send_count"], 2);
}

}  // namespace
}  // namespace mneme::domain::courier
