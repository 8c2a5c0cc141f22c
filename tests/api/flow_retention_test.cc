// The retention of flows nobody owns: after its lifespan plus the grace, the
// data key of a flow that never named an identity is dropped (its personal
// parts become unreadable); a flow linked to an identity keeps its key (the
// identity's erasure drops it). Real RocksDB store, fake clock.
#include "api/selfservice/flow_retention_job.h"

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "infra/crypto/personal_data_vault.h"
#include "infra/store/rocks_event_store.h"
#include "infra/system/system.h"
#include "projections/flow_retention.h"
#include "tests/support/fake_clock.h"
#include "tests/support/test_support.h"

namespace mneme::api {
namespace {

using mneme::testing::FakeClock;
using nlohmann::json;

class FlowRetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vault_ = std::make_unique<infra::crypto::PersonalDataVault>(
        infra::crypto::DataKeyring({"0123456789abcdef0123456789abcdef"}));
    infra::store::StoreOptions o;
    o.path = dir_.str();
    o.catch_up_on_open = false;
    store_ = std::move(*infra::store::RocksEventStore::Open(o, {&rows_}));
    vault_->SetStore(store_.get());
    ASSERT_TRUE(store_->CatchUpProjections().has_value());
    flows_ = std::make_unique<FlowRepository>(*store_, *vault_, clock_);
    FlowRetentionOptions options;
    options.grace = std::chrono::hours(1);
    job_ = std::make_unique<FlowRetentionJob>(
        *flows_, *store_, clock_, options,
        std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>()));
  }

  // A login flow that failed with the identifier typed (personal), linked to
  // `identity` when it is not empty.
  domain::flow::Flow NewFailedFlow(const std::string& identity) {
    domain::flow::Flow blank;
    blank.id = ids_.NewUuid();
    domain::flow::FlowCreated c;
    c.kind = "login";
    c.type = "api";
    c.request_url = "http://127.0.0.1:4433/self-service/login/api";
    c.expires_at = domain::Timestamp{clock_.Now().micros + 600LL * 1000000};
    auto created = flows_->Execute(blank, domain::flow::CreateFlow{c}, "anonymous", "r");
    EXPECT_TRUE(created.has_value()) << created.error().ToString();
    domain::flow::FlowFailed failed;
    failed.method = "password";
    failed.values = {{"identifier", "someone@example.org"}};
    failed.identity_id = identity;
    auto after = flows_->Execute(*created, domain::flow::FailFlow{failed, clock_.Now()}, "anonymous", "r");
    EXPECT_TRUE(after.has_value()) << after.error().ToString();
    return *after;
  }

  mneme::testing::TempDir dir_;
  FakeClock clock_;
  infra::system::RandomIdGenerator ids_;
  std::unique_ptr<infra::crypto::PersonalDataVault> vault_;
  projections::FlowRetention rows_;
  std::unique_ptr<infra::store::RocksEventStore> store_;
  std::unique_ptr<FlowRepository> flows_;
  std::unique_ptr<FlowRetentionJob> job_;
};

TEST_F(FlowRetentionTest, AnUnlinkedFlowLosesItsDataKeyAfterLifespanAndGrace) {
  const auto flow = NewFailedFlow("");
  ASSERT_TRUE(store_->DataKey(domain::flow::StreamOf(flow.id))->has_value());

  clock_.Advance(std::chrono::minutes(30));  // still within its lifespan + grace
  EXPECT_EQ(*job_->RunOnce(), 0u);
  clock_.Advance(std::chrono::minutes(41));  // 10 min lifespan + 1 h grace are over
  EXPECT_EQ(*job_->RunOnce(), 1u);

  EXPECT_FALSE(store_->DataKey(domain::flow::StreamOf(flow.id))->has_value());
  auto loaded = flows_->Load(flow.id);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().ToString();
  EXPECT_TRUE(loaded->data_expired);
  EXPECT_TRUE(loaded->values.empty()) << loaded->values.dump();
  EXPECT_EQ(loaded->request_url, "");
  EXPECT_EQ(*job_->RunOnce(), 0u) << "a flow is expired once";
}

TEST_F(FlowRetentionTest, AFlowThatNamedAnIdentityKeepsItsKey) {
  const auto flow = NewFailedFlow("8f4e1c0e-1d2b-4c59-9d3e-0a1b2c3d4e5f");
  clock_.Advance(std::chrono::hours(3));
  EXPECT_EQ(*job_->RunOnce(), 0u);
  EXPECT_TRUE(store_->DataKey(domain::flow::StreamOf(flow.id))->has_value());
  auto loaded = flows_->Load(flow.id);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->values.value("identifier", ""), "someone@example.org");
}

TEST_F(FlowRetentionTest, OnlyDueFlowsAreExpired) {
  const auto early = NewFailedFlow("");
  clock_.Advance(std::chrono::minutes(50));
  const auto late = NewFailedFlow("");
  clock_.Advance(std::chrono::minutes(21));  // early is due (71 > 70 min), late is not
  EXPECT_EQ(*job_->RunOnce(), 1u);
  EXPECT_FALSE(store_->DataKey(domain::flow::StreamOf(early.id))->has_value());
  EXPECT_TRUE(store_->DataKey(domain::flow::StreamOf(late.id))->has_value());
}

}  // namespace
}  // namespace mneme::api
