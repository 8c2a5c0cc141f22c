// The API service tests' world: a bcrypt (cost 4) hasher, the fixture
// identity schema, and a RocksDB store on a temp dir with the personal-data
// vault and the identities projection, plus any projections a test adds over
// the vault (sessions, ...). Open() (re)opens the store and catches its
// projections up. Header-only: the support library links only the domain.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "api/schemas.h"
#include "infra/crypto/personal_data_vault.h"
#include "infra/hash/hasher.h"
#include "infra/store/rocks_event_store.h"
#include "projections/identities.h"
#include "tests/support/test_support.h"

namespace mneme::testing {

class ServiceStore {
 public:
  using ExtraProjections = std::function<std::vector<std::unique_ptr<domain::Projection>>(
      domain::PersonalDataCipher&)>;

  explicit ServiceStore(ExtraProjections extra = {}) : extra_(std::move(extra)) {
    infra::hash::HasherConfig hc;
    hc.bcrypt_cost = 4;
    hasher_ = std::move(*infra::hash::Hasher::Create(hc));
    schemas_ = std::move(*api::SchemaRegistry::Create(
        {{"default", "file://x", LoadSourceJson("tests/fixtures/identity.schema.json"), ""}},
        "default", "http://127.0.0.1:4433/"));
  }

  // Call through ASSERT_NO_FATAL_FAILURE.
  void Open(const std::string& path) {
    store_.reset();
    vault_ = std::make_unique<infra::crypto::PersonalDataVault>(
        infra::crypto::DataKeyring({"0123456789abcdef0123456789abcdef"}));
    identities_ = std::make_unique<projections::Identities>(*vault_);
    projections_ = extra_ ? extra_(*vault_) : std::vector<std::unique_ptr<domain::Projection>>{};
    std::vector<domain::Projection*> all = {identities_.get()};
    for (auto& p : projections_) {
      all.push_back(p.get());
    }
    infra::store::StoreOptions o;
    o.path = path;
    o.catch_up_on_open = false;
    auto opened = infra::store::RocksEventStore::Open(o, all);
    ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
    store_ = std::move(*opened);
    vault_->SetStore(store_.get());
    ASSERT_TRUE(store_->CatchUpProjections().has_value());
  }

  infra::store::RocksEventStore& store() { return *store_; }
  infra::crypto::PersonalDataVault& vault() { return *vault_; }
  infra::hash::Hasher& hasher() { return *hasher_; }
  api::SchemaRegistry& schemas() { return *schemas_; }

 private:
  ExtraProjections extra_;
  std::unique_ptr<infra::hash::Hasher> hasher_;
  std::unique_ptr<api::SchemaRegistry> schemas_;
  std::unique_ptr<infra::crypto::PersonalDataVault> vault_;
  std::unique_ptr<projections::Identities> identities_;
  std::vector<std::unique_ptr<domain::Projection>> projections_;
  std::unique_ptr<infra::store::RocksEventStore> store_;  // last: closed first
};

}  // namespace mneme::testing
