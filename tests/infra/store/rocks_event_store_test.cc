// The RocksDB event store: appends, versions, claims, atomicity, concurrency,
// projections and rebuilds, on a real RocksDB directory.
#include "infra/store/rocks_event_store.h"

#include <algorithm>
#include <random>
#include <set>
#include <thread>

#include "tests/support/test_support.h"

namespace mneme::infra::store {
namespace {

using domain::AppendRequest;
using domain::Claim;
using domain::ClaimAction;
using domain::ExpectedVersion;
using domain::NewEvent;
using mneme::testing::CountingProjection;
using mneme::testing::HasCode;
using mneme::testing::IsOk;
using mneme::testing::TempDir;

NewEvent Ev(std::string type, std::string data = "{}") {
  NewEvent e;
  e.type = std::move(type);
  e.time.micros = 1700000000000000;
  e.actor = "system";
  e.request_id = "req-1";
  e.data = std::move(data);
  return e;
}

AppendRequest Req(std::string stream, ExpectedVersion expected, std::vector<NewEvent> events,
                  std::vector<Claim> claims = {}) {
  AppendRequest r;
  r.stream = std::move(stream);
  r.expected = expected;
  r.events = std::move(events);
  r.claims = std::move(claims);
  return r;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    StoreOptions o;
    o.path = dir_.str();
    auto s = RocksEventStore::Open(o, {&counts_});
    ASSERT_TRUE(s.has_value()) << s.error().ToString();
    store_ = std::move(*s);
  }
  std::vector<std::pair<std::string, std::string>> Rows() {
    auto rows = store_->ScanRows(CountingProjection::kName, "", "", 1u << 30);
    EXPECT_TRUE(rows.has_value());
    return *rows;
  }

  TempDir dir_;
  CountingProjection counts_;
  std::unique_ptr<RocksEventStore> store_;
};

TEST_F(StoreTest, AppendAndReadRoundTrip) {
  auto r = store_->Append(Req("identity-a", ExpectedVersion::NoStream(),
                              {Ev("identity.created", R"({"x":1})"), Ev("identity.traits_updated")}));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->first_position.value(), 1u);
  EXPECT_EQ(r->last_position.value(), 2u);
  EXPECT_EQ(r->last_version.value(), 2u);
  auto events = store_->ReadStream("identity-a", StreamVersion(1));
  ASSERT_THAT(events, IsOk());
  ASSERT_EQ(events->size(), 2u);
  const auto& e = (*events)[0];
  EXPECT_EQ(e.position.value(), 1u);
  EXPECT_EQ(e.version.value(), 1u);
  EXPECT_EQ(e.stream, "identity-a");
  EXPECT_EQ(e.type, "identity.created");
  EXPECT_EQ(e.schema, 1u);
  EXPECT_EQ(e.time.micros, 1700000000000000);
  EXPECT_EQ(e.actor, "system");
  EXPECT_EQ(e.request_id, "req-1");
  EXPECT_EQ(e.data, R"({"x":1})");
  auto from2 = store_->ReadStream("identity-a", StreamVersion(2));
  ASSERT_EQ(from2->size(), 1u);
  EXPECT_EQ((*from2)[0].type, "identity.traits_updated");
  EXPECT_TRUE(store_->ReadStream("identity-unknown", StreamVersion(1))->empty());
  auto all = store_->ReadAll(GlobalPosition(1), 10);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1], (*events)[1]);
}

TEST_F(StoreTest, SurvivesReopen) {
  ASSERT_THAT(store_->Append(Req("s-1", ExpectedVersion::NoStream(), {Ev("a"), Ev("b")})), IsOk());
  Reopen();
  EXPECT_EQ(store_->Head().value(), 2u);
  auto r = store_->Append(Req("s-1", ExpectedVersion::Exact(2), {Ev("c")}));
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->first_position.value(), 3u);
  EXPECT_EQ(r->last_version.value(), 3u);
}

TEST_F(StoreTest, ExpectedVersionConflictIsAborted) {
  ASSERT_THAT(store_->Append(Req("s-1", ExpectedVersion::NoStream(), {Ev("a")})), IsOk());
  EXPECT_THAT(store_->Append(Req("s-1", ExpectedVersion::NoStream(), {Ev("b")})),
              HasCode(Code::kAborted));
  EXPECT_THAT(store_->Append(Req("s-1", ExpectedVersion::Exact(5), {Ev("b")})),
              HasCode(Code::kAborted));
  EXPECT_THAT(store_->Append(Req("s-1", ExpectedVersion::Exact(1), {Ev("b")})), IsOk());
  EXPECT_THAT(store_->Append(Req("s-1", ExpectedVersion::Any(), {Ev("c")})), IsOk());
  EXPECT_EQ(store_->Head().value(), 3u);
}

TEST_F(StoreTest, BadRequestsAreInvalidArgument) {
  EXPECT_THAT(store_->Append(Req("", ExpectedVersion::Any(), {Ev("a")})),
              HasCode(Code::kInvalidArgument));
  EXPECT_THAT(store_->Append(Req("s-1", ExpectedVersion::Any(), {})),
              HasCode(Code::kInvalidArgument));
  EXPECT_EQ(store_->Head().value(), 0u);
}

TEST_F(StoreTest, ClaimHeldByAnotherStreamIsAlreadyExists) {
  Claim email{ClaimAction::kClaim, "identifier.password", "a@example.com"};
  ASSERT_THAT(store_->Append(Req("identity-1", ExpectedVersion::NoStream(), {Ev("c")}, {email})),
              IsOk());
  EXPECT_THAT(store_->Append(Req("identity-2", ExpectedVersion::NoStream(), {Ev("c")}, {email})),
              HasCode(Code::kAlreadyExists));
  // The same stream claiming again is a no-op.
  EXPECT_THAT(store_->Append(Req("identity-1", ExpectedVersion::Exact(1), {Ev("u")}, {email})),
              IsOk());
  // Same value under another kind is a different claim.
  Claim other_kind{ClaimAction::kClaim, "address.email", "a@example.com"};
  EXPECT_THAT(store_->Append(Req("identity-2", ExpectedVersion::NoStream(), {Ev("c")}, {other_kind})),
              IsOk());
  EXPECT_EQ(*store_->ClaimOwner("identifier.password", "a@example.com"),
            std::optional<std::string>("identity-1"));
}

TEST_F(StoreTest, ReleaseAndReclaim) {
  Claim claim{ClaimAction::kClaim, "identifier.password", "a@example.com"};
  Claim release{ClaimAction::kRelease, "identifier.password", "a@example.com"};
  ASSERT_THAT(store_->Append(Req("identity-1", ExpectedVersion::NoStream(), {Ev("c")}, {claim})),
              IsOk());
  // Another stream cannot release it.
  EXPECT_THAT(store_->Append(Req("identity-2", ExpectedVersion::Any(), {Ev("x")}, {release})),
              HasCode(Code::kFailedPrecondition));
  // The owner changes its identifier: release and claim a new one atomically.
  Claim claim_b{ClaimAction::kClaim, "identifier.password", "b@example.com"};
  ASSERT_THAT(store_->Append(Req("identity-1", ExpectedVersion::Exact(1), {Ev("u")},
                                 {release, claim_b})),
              IsOk());
  EXPECT_EQ(*store_->ClaimOwner("identifier.password", "a@example.com"), std::nullopt);
  // Now another identity may take the released value.
  ASSERT_THAT(store_->Append(Req("identity-2", ExpectedVersion::NoStream(), {Ev("c")}, {claim})),
              IsOk());
  EXPECT_EQ(*store_->ClaimOwner("identifier.password", "a@example.com"),
            std::optional<std::string>("identity-2"));
  Reopen();
  EXPECT_EQ(*store_->ClaimOwner("identifier.password", "b@example.com"),
            std::optional<std::string>("identity-1"));
}

TEST_F(StoreTest, FailedAppendLeavesNothingBehind) {
  Claim taken{ClaimAction::kClaim, "identifier.password", "taken@example.com"};
  ASSERT_THAT(store_->Append(Req("identity-1", ExpectedVersion::NoStream(), {Ev("c")}, {taken})),
              IsOk());
  const auto rows_before = Rows();
  // A fresh claim first, then a conflicting one: neither may remain.
  Claim fresh{ClaimAction::kClaim, "identifier.password", "fresh@example.com"};
  domain::AppendRequest bad = Req("identity-2", ExpectedVersion::NoStream(), {Ev("c"), Ev("d")},
                                  {fresh, taken});
  bad.data_keys.push_back({domain::DataKeyAction::kPut, "identity-2", "wrapped"});
  EXPECT_THAT(store_->Append(bad), HasCode(Code::kAlreadyExists));
  // A projection failure is also a failed append.
  EXPECT_THAT(store_->Append(Req("identity-3", ExpectedVersion::NoStream(),
                                 {Ev("ok"), Ev("test.poison")}, {fresh})),
              HasCode(Code::kInvalidArgument));
  EXPECT_EQ(store_->Head().value(), 1u);
  EXPECT_TRUE(store_->ReadStream("identity-2", StreamVersion(1))->empty());
  EXPECT_TRUE(store_->ReadStream("identity-3", StreamVersion(1))->empty());
  EXPECT_EQ(store_->ReadAll(GlobalPosition(1), 100)->size(), 1u);
  EXPECT_EQ(*store_->ClaimOwner("identifier.password", "fresh@example.com"), std::nullopt);
  EXPECT_EQ(*store_->DataKey("identity-2"), std::nullopt);
  EXPECT_EQ(Rows(), rows_before);
  // And the next good append takes the next position: no gap.
  auto ok = store_->Append(Req("identity-2", ExpectedVersion::NoStream(), {Ev("c")}, {fresh}));
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(ok->first_position.value(), 2u);
}

TEST_F(StoreTest, DataKeysArePutAndDeletedWithEvents) {
  auto put = Req("identity-1", ExpectedVersion::NoStream(), {Ev("identity.created")});
  put.data_keys.push_back({domain::DataKeyAction::kPut, "id-1", "wrapped-key"});
  ASSERT_THAT(store_->Append(put), IsOk());
  EXPECT_EQ(*store_->DataKey("id-1"), std::optional<std::string>("wrapped-key"));
  auto del = Req("identity-1", ExpectedVersion::Exact(1), {Ev("identity.deleted")});
  del.data_keys.push_back({domain::DataKeyAction::kDelete, "id-1", ""});
  ASSERT_THAT(store_->Append(del), IsOk());
  EXPECT_EQ(*store_->DataKey("id-1"), std::nullopt);
}

TEST_F(StoreTest, ConcurrentAppendersGetEveryEventOnceAndGaplessPositions) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 1000;
  std::vector<std::thread> threads;
  std::vector<std::vector<uint64_t>> acked(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = store_->Append(Req("stream-" + std::to_string(t), ExpectedVersion::Exact(i),
                                    {Ev("t.e", "{\"t\":" + std::to_string(t) + ",\"i\":" +
                                                   std::to_string(i) + "}")}));
        ASSERT_TRUE(r.has_value()) << r.error().ToString();
        acked[t].push_back(r->first_position.value());
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(store_->Head().value(), uint64_t{kThreads * kPerThread});
  EXPECT_LT(store_->SyncedWritesForTest(), uint64_t{kThreads * kPerThread})
      << "group commit should share fsyncs";
  auto all = store_->ReadAll(GlobalPosition(1), kThreads * kPerThread + 10);
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), size_t{kThreads * kPerThread});
  std::set<std::string> seen;
  for (size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ((*all)[i].position.value(), i + 1) << "positions must be gapless";
    EXPECT_TRUE(seen.insert((*all)[i].data).second) << "duplicate " << (*all)[i].data;
  }
  for (int t = 0; t < kThreads; ++t) {
    auto stream = store_->ReadStream("stream-" + std::to_string(t), StreamVersion(1));
    ASSERT_EQ(stream->size(), size_t{kPerThread});
    for (int i = 0; i < kPerThread; ++i) {
      EXPECT_EQ((*stream)[i].position.value(), acked[t][i]);
      EXPECT_EQ((*stream)[i].version.value(), uint64_t(i + 1));
    }
  }
}

TEST_F(StoreTest, WaitForPositionWakesOnAppend) {
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_THAT(store_->Append(Req("s", ExpectedVersion::Any(), {Ev("a")})), IsOk());
  });
  auto head = store_->WaitForPosition(GlobalPosition(0), std::chrono::seconds(5));
  writer.join();
  EXPECT_EQ(head.value(), 1u);
  auto t0 = std::chrono::steady_clock::now();
  head = store_->WaitForPosition(GlobalPosition(1), std::chrono::milliseconds(100));
  EXPECT_EQ(head.value(), 1u);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(90));
}

TEST_F(StoreTest, SecondOpenOfTheSameStoreIsRefused) {
  StoreOptions o;
  o.path = dir_.str();
  auto second = RocksEventStore::Open(o, {});
  ASSERT_THAT(second, HasCode(Code::kUnavailable));
  EXPECT_NE(second.error().message().find("store is in use"), std::string::npos);
}

TEST_F(StoreTest, ClosedStoreRefusesAppends) {
  store_->Close();
  EXPECT_THAT(store_->Append(Req("s", ExpectedVersion::Any(), {Ev("a")})),
              HasCode(Code::kUnavailable));
  EXPECT_THAT(store_->Healthy(), HasCode(Code::kUnavailable));
}

TEST_F(StoreTest, ProjectionRowsAndCheckpointFollowTheLog) {
  ASSERT_THAT(store_->Append(Req("a", ExpectedVersion::Any(), {Ev("x"), Ev("y"), Ev("x")})), IsOk());
  EXPECT_EQ(*store_->GetRow(CountingProjection::kName, "stream/a"), std::optional<std::string>("3"));
  EXPECT_EQ(*store_->GetRow(CountingProjection::kName, "type/x"), std::optional<std::string>("2"));
  EXPECT_EQ(store_->Checkpoint(CountingProjection::kName)->value(), 3u);
  EXPECT_THAT(store_->GetRow("nope_v1", "k"), HasCode(Code::kNotFound));
}

TEST_F(StoreTest, RebuildAfterRandomEventsGivesIdenticalRows) {
  std::mt19937 rng(42);
  int appended = 0;
  while (appended < 10000) {
    int n = 1 + static_cast<int>(rng() % 5);
    std::vector<NewEvent> events;
    for (int i = 0; i < n; ++i) {
      events.push_back(Ev("type." + std::to_string(rng() % 7), "{}"));
    }
    ASSERT_THAT(store_->Append(Req("s-" + std::to_string(rng() % 300), ExpectedVersion::Any(),
                                   std::move(events))),
                IsOk());
    appended += n;
  }
  const auto inline_rows = Rows();
  ASSERT_GT(inline_rows.size(), 300u);
  uint64_t progress_calls = 0;
  ASSERT_THAT(store_->Rebuild(CountingProjection::kName,
                              [&](uint64_t, uint64_t) { ++progress_calls; }),
              IsOk());
  EXPECT_GT(progress_calls, 0u);
  EXPECT_EQ(Rows(), inline_rows);
  EXPECT_EQ(store_->Checkpoint(CountingProjection::kName)->value(), store_->Head().value());
  // The rebuilt family is the live one after a reopen too.
  Reopen();
  EXPECT_EQ(Rows(), inline_rows);
  ASSERT_THAT(store_->Append(Req("s-1", ExpectedVersion::Any(), {Ev("type.0")})), IsOk());
  EXPECT_NE(Rows(), inline_rows);
}

TEST_F(StoreTest, RebuildWhileAppendingCatchesUp) {
  for (int i = 0; i < 2000; ++i) {
    ASSERT_THAT(store_->Append(Req("s-" + std::to_string(i % 50), ExpectedVersion::Any(), {Ev("t")})),
                IsOk());
  }
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    int i = 0;
    while (!stop) {
      ASSERT_THAT(store_->Append(Req("w-" + std::to_string(i++ % 20), ExpectedVersion::Any(),
                                     {Ev("t")})),
                  IsOk());
    }
  });
  ASSERT_THAT(store_->Rebuild(CountingProjection::kName), IsOk());
  stop = true;
  writer.join();
  const auto live = Rows();
  ASSERT_THAT(store_->Rebuild(CountingProjection::kName), IsOk());
  EXPECT_EQ(Rows(), live);
  EXPECT_EQ(*store_->GetRow(CountingProjection::kName, "type/t"),
            std::optional<std::string>(std::to_string(store_->Head().value())));
}

TEST_F(StoreTest, NewProjectionIsBuiltFromHistoryOnOpen) {
  ASSERT_THAT(store_->Append(Req("a", ExpectedVersion::Any(), {Ev("x"), Ev("x")})), IsOk());
  store_.reset();
  // Open without the projection, append more, then open with it again:
  // the projection catches up from its checkpoint.
  StoreOptions o;
  o.path = dir_.str();
  {
    auto bare = RocksEventStore::Open(o, {});
    ASSERT_TRUE(bare.has_value());
    ASSERT_THAT((*bare)->Append(Req("a", ExpectedVersion::Any(), {Ev("x")})), IsOk());
  }
  Reopen();
  EXPECT_EQ(*store_->GetRow(CountingProjection::kName, "stream/a"), std::optional<std::string>("3"));
}


// Counts events per stream under another name; refuses "test.poison_b".
class OtherCounts final : public domain::Projection {
 public:
  std::string Name() const override { return "test_other_v1"; }
  Status Apply(const domain::EventEnvelope& event, domain::ProjectionWriter& rows) override {
    if (event.type == "test.poison_b") {
      return MakeError(Code::kInvalidArgument, "poisoned for the other projection");
    }
    MNEME_TRY(auto current, rows.Get("n/" + event.stream));
    rows.Put("n/" + event.stream, std::to_string((current ? std::stoull(*current) : 0) + 1));
    return OkStatus();
  }
};

// Several lagging projections share one reader of the log: each folds from
// its own checkpoint, across many chunks, and ends at the head.
TEST(CatchUpTest, SeveralProjectionsFoldFromTheirOwnCheckpoints) {
  mneme::testing::TempDir dir;
  StoreOptions o;
  o.path = dir.str();
  CountingProjection counts;
  {
    auto with_counts = RocksEventStore::Open(o, {&counts});  // counts follows inline
    ASSERT_TRUE(with_counts.has_value());
    for (int i = 0; i < 30; ++i) {
      std::vector<NewEvent> events(100, Ev("x"));
      ASSERT_THAT((*with_counts)->Append(Req("a", ExpectedVersion::Any(), events)), IsOk());
    }
  }
  {
    auto bare = RocksEventStore::Open(o, {});
    ASSERT_TRUE(bare.has_value());
    for (int i = 0; i < 20; ++i) {
      std::vector<NewEvent> events(100, Ev("x"));
      ASSERT_THAT((*bare)->Append(Req("b", ExpectedVersion::Any(), events)), IsOk());
    }
  }
  OtherCounts other;
  o.catch_up_on_open = false;
  auto store = RocksEventStore::Open(o, {&counts, &other});
  ASSERT_TRUE(store.has_value());
  EXPECT_EQ((*store)->Checkpoint(counts.Name())->value(), 3000u);
  EXPECT_EQ((*store)->Checkpoint(other.Name())->value(), 0u);
  std::map<std::string, uint64_t> reported;
  ASSERT_THAT((*store)->CatchUpProjections([&](const std::string& name, uint64_t done, uint64_t) {
    reported[name] = done;
  }), IsOk());
  EXPECT_EQ((*store)->Checkpoint(counts.Name())->value(), 5000u);
  EXPECT_EQ((*store)->Checkpoint(other.Name())->value(), 5000u);
  EXPECT_EQ(*(*store)->GetRow(counts.Name(), "stream/a"), std::optional<std::string>("3000"));
  EXPECT_EQ(*(*store)->GetRow(counts.Name(), "stream/b"), std::optional<std::string>("2000"));
  EXPECT_EQ(*(*store)->GetRow(other.Name(), "n/a"), std::optional<std::string>("3000"));
  EXPECT_EQ(*(*store)->GetRow(other.Name(), "n/b"), std::optional<std::string>("2000"));
  EXPECT_EQ(reported[counts.Name()], 2000u) << "counts folded only what it lacked";
  EXPECT_EQ(reported[other.Name()], 5000u);
}

// A projection that fails stops alone: the error is returned, the others
// still reach the head, and the failed one keeps its last good checkpoint.
TEST(CatchUpTest, AFailingProjectionReportsItsErrorAndTheOthersFinish) {
  mneme::testing::TempDir dir;
  StoreOptions o;
  o.path = dir.str();
  {
    auto bare = RocksEventStore::Open(o, {});
    ASSERT_TRUE(bare.has_value());
    for (int i = 0; i < 100; ++i) {
      std::vector<NewEvent> events(100, Ev(i == 60 ? "test.poison_b" : "x"));
      ASSERT_THAT((*bare)->Append(Req("s", ExpectedVersion::Any(), events)), IsOk());
    }
  }
  CountingProjection counts;
  OtherCounts other;
  o.catch_up_on_open = false;
  auto store = RocksEventStore::Open(o, {&counts, &other});
  ASSERT_TRUE(store.has_value());
  EXPECT_THAT((*store)->CatchUpProjections(), HasCode(Code::kInvalidArgument));
  EXPECT_EQ((*store)->Checkpoint(counts.Name())->value(), 10000u);
  EXPECT_LT((*store)->Checkpoint(other.Name())->value(), 6001u);
}

}  // namespace
}  // namespace mneme::infra::store
