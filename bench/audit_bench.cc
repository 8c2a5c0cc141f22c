// Audit replay of one identity with 10,000 events: the full history (every
// event with its diff) and the point-in-time state, on a real store.
//   audit_bench [--events N]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/admin/audit_service.h"
#include "api/admin/identity_service.h"
#include "infra/crypto/personal_data_vault.h"
#include "infra/hash/hasher.h"
#include "infra/store/rocks_event_store.h"
#include "infra/system/system.h"
#include "projections/identities.h"

using namespace mneme;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

int main(int argc, char** argv) {
  int events = 10000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--events") events = std::stoi(argv[i + 1]);
  }
  const auto dir = std::filesystem::temp_directory_path() / "mneme-audit-bench";
  std::filesystem::remove_all(dir);
  std::ifstream in(std::string(MNEME_SOURCE_DIR) + "/config/identity.schema.json");
  std::stringstream ss;
  ss << in.rdbuf();
  auto schemas = api::SchemaRegistry::Create({{"default", "file://x", json::parse(ss.str()), ""}}, "default",
                                             "http://127.0.0.1:4433/");
  infra::hash::HasherConfig hc;
  hc.bcrypt_cost = 4;
  auto hasher = infra::hash::Hasher::Create(hc);
  infra::crypto::PersonalDataVault vault(infra::crypto::DataKeyring({"0123456789abcdef0123456789abcdef"}));
  projections::Identities identities(vault);
  infra::store::StoreOptions o;
  o.path = dir.string();
  o.catch_up_on_open = false;
  auto store = infra::store::RocksEventStore::Open(o, {&identities});
  if (!store || !schemas || !hasher) {
    std::fprintf(stderr, "setup failed\n");
    return 1;
  }
  vault.SetStore(store->get());
  infra::system::SystemClock clock;
  infra::system::RandomIdGenerator ids;
  api::IdentityService service(**store, **store, vault, **schemas, **hasher, clock, ids);
  api::AuditService audit(**store, **store, vault, service);
  auto created = service.Create({{"schema_id", "default"}, {"traits", {{"email", "audit@example.com"}}}},
                                "admin", "bench");
  if (!created) {
    std::fprintf(stderr, "create: %s\n", created.error().ToString().c_str());
    return 1;
  }
  domain::Timestamp middle{};
  for (int i = 1; i < events; ++i) {
    auto r = service.Patch(created->id, json::array({{{"op", "add"}, {"path", "/metadata_admin"},
                                                      {"value", {{"n", i}}}}}),
                           "admin", "bench");
    if (!r) {
      std::fprintf(stderr, "patch: %s\n", r.error().ToString().c_str());
      return 1;
    }
    if (i == events / 2) {
      middle = clock.Now();
    }
    if (i % 2000 == 0) {
      std::fprintf(stderr, "  appended %d/%d\n", i, events);
    }
  }
  auto time_it = [](auto&& fn) {
    double best = 1e9;
    for (int rep = 0; rep < 5; ++rep) {
      auto t0 = Clock::now();
      fn();
      best = std::min(best, std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    return best;
  };
  size_t listed = 0;
  const double history_ms = time_it([&] {
    auto h = audit.History(created->id, 1, static_cast<size_t>(events));
    listed = h ? h->events.size() : 0;
  });
  const double at_ms = time_it([&] { auto a = audit.At(created->id, middle); (void)a; });
  const double read_ms = time_it([&] {
    auto r = (*store)->ReadStream(domain::identity::StreamOf(created->id), StreamVersion(1));
    (void)r;
  });
  std::printf("%-44s %10s\n", "figure (best of 5)", "ms");
  std::printf("%-44s %10.1f\n", ("history of " + std::to_string(listed) + " events").c_str(), history_ms);
  std::printf("%-44s %10.1f\n", "point-in-time state (middle of the stream)", at_ms);
  std::printf("%-44s %10.1f\n", "of which: reading the stream (all events)", read_ms);
  (*store)->Close();
  std::filesystem::remove_all(dir);
}
