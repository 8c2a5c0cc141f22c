// Rebuild of every projection from a log of realistic events (issue 6):
// identities with sealed personal data, sessions with sealed devices, and
// self-service flows, written without projections, then folded by a store
// opened with all of mneme's projections (as mneme-migrate does for new
// projection versions). Prints events/s for the whole rebuild.
//   rebuild_bench [--events N]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <atomic>
#include <random>
#include <thread>
#include <string>

#include "domain/event/personal_data.h"
#include "domain/flow/flow.h"
#include "domain/identity/identity.h"
#include "domain/identity/identity_codec.h"
#include "domain/session/session.h"
#include "infra/crypto/personal_data_vault.h"
#include "infra/store/rocks_event_store.h"
#include "infra/system/system.h"
#include "infra/crypto/mail_vault.h"
#include "projections/courier_messages.h"
#include "projections/flow_retention.h"
#include "projections/identities.h"
#include "projections/identity_activity.h"
#include "projections/sessions.h"
#include "projections/stream_stats.h"

using namespace mneme;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

domain::NewEvent Sealed(domain::PersonalDataCipher& vault, const std::string& owner,
                        const std::string& type, const json& plain, const json& personal,
                        domain::Timestamp now) {
  domain::NewEvent e;
  e.type = type;
  e.time = now;
  e.actor = "admin";
  e.request_id = "bench";
  e.data = *domain::SealEventData(vault, owner, plain, personal);
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t total = 1'000'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--events") total = std::stoull(argv[i + 1]);
  }
  const auto dir = std::filesystem::temp_directory_path() / "mneme-rebuild-bench";
  std::filesystem::remove_all(dir);
  infra::crypto::PersonalDataVault vault(infra::crypto::DataKeyring({"0123456789abcdef0123456789abcdef"}));
  infra::system::SystemClock clock;
  uint64_t written = 0;
  {
    infra::store::StoreOptions o;
    o.path = dir.string();
    auto store = infra::store::RocksEventStore::Open(o, {});
    if (!store) {
      std::fprintf(stderr, "open: %s\n", store.error().ToString().c_str());
      return 1;
    }
    vault.SetStore(store->get());
    // Per identity: created + 30 metadata updates (one append), 5 sessions
    // (issued, then revoked: one append each) and 3 login flows (created,
    // completed): 47 events in 9 appends. Eight appenders share the fsyncs.
    std::fprintf(stderr, "writing %llu events\n", static_cast<unsigned long long>(total));
    std::atomic<uint64_t> count{0};
    std::atomic<bool> failed{false};
    auto writer = [&](int seed) {
      infra::system::RandomIdGenerator gen;
      while (count.load() < total && !failed) {
        const auto now = clock.Now();
        const std::string id = gen.NewUuid();
        std::vector<domain::AppendRequest> batch;
        domain::AppendRequest r;
        r.stream = domain::identity::StreamOf(id);
        r.data_keys.push_back(*vault.CreateKey(id));
        domain::identity::IdentityCreated created;
        created.schema_id = "default";
        created.state = "active";
        created.traits = {{"email", "user-" + id.substr(0, 8) + "@example.com"},
                          {"name", {{"first", "Ada"}, {"last", "Lovelace"}}}};
        auto enc = domain::identity::Encode(domain::identity::Event{created});
        r.events.push_back(Sealed(vault, id, enc.type, enc.plain, enc.personal, now));
        for (int k = 0; k < 30; ++k) {
          domain::identity::MetadataAdminUpdated m;
          m.metadata = {{"n", k}, {"seed", seed}};
          auto menc = domain::identity::Encode(domain::identity::Event{m});
          r.events.push_back(Sealed(vault, id, menc.type, menc.plain, menc.personal, now));
        }
        batch.push_back(std::move(r));
        for (int k = 0; k < 5; ++k) {
          const std::string sid = gen.NewUuid();
          domain::AppendRequest sr;
          sr.stream = domain::session::StreamOf(sid);
          domain::session::SessionIssued si;
          si.identity_id = id;
          si.token_hash = sid + "t";
          si.logout_token_hash = sid + "l";
          si.aal = "aal1";
          si.methods = {{"password", "aal1", now}};
          si.authenticated_at = now;
          si.expires_at = domain::Timestamp{now.micros + 86400LL * 1000000};
          si.devices = {{gen.NewUuid(), "198.51.100.7", "bench/1.0", ""}};
          auto senc = domain::session::Encode(domain::session::Event{si});
          sr.events.push_back(Sealed(vault, id, senc.type, senc.plain, senc.personal, now));
          auto renc = domain::session::Encode(domain::session::Event{domain::session::SessionRevoked{"logout"}});
          sr.events.push_back(Sealed(vault, id, renc.type, renc.plain, renc.personal, now));
          batch.push_back(std::move(sr));
        }
        for (int k = 0; k < 3; ++k) {
          domain::AppendRequest fr;
          fr.stream = domain::flow::StreamOf(gen.NewUuid());
          fr.data_keys.push_back(*vault.CreateKey(fr.stream));
          domain::flow::FlowCreated c;
          c.kind = "login";
          c.type = "api";
          c.request_url = "http://127.0.0.1:4433/self-service/login/api";
          c.expires_at = domain::Timestamp{now.micros + 3600LL * 1000000};
          auto cenc = domain::flow::Encode(domain::flow::Event{c});
          fr.events.push_back(Sealed(vault, fr.stream, cenc.type, cenc.plain, cenc.personal, now));
          auto denc = domain::flow::Encode(domain::flow::Event{domain::flow::FlowCompleted{"password", id, "", ""}});
          fr.events.push_back(Sealed(vault, fr.stream, denc.type, denc.plain, denc.personal, now));
          batch.push_back(std::move(fr));
        }
        for (auto& req : batch) {
          const size_t n = req.events.size();
          if (auto res = (*store)->Append(std::move(req)); !res) {
            std::fprintf(stderr, "append: %s\n", res.error().ToString().c_str());
            failed = true;
            return;
          }
          const uint64_t before = count.fetch_add(n);
          if ((before + n) / 100000 != before / 100000) {
            std::fprintf(stderr, "  written %llu/%llu\n", static_cast<unsigned long long>(before + n),
                         static_cast<unsigned long long>(total));
          }
        }
      }
    };
    std::vector<std::thread> writers;
    for (int w = 0; w < 8; ++w) {
      writers.emplace_back(writer, w);
    }
    for (auto& t : writers) {
      t.join();
    }
    if (failed) {
      return 1;
    }
    written = count.load();
    (*store)->Close();
  }
  projections::StreamStats stats;
  projections::Identities identities(vault);
  projections::Sessions sessions(vault);
  projections::IdentityActivity activity;
  infra::crypto::MailVault mail_vault({"bench-cipher-secret-32-characters"});
  projections::CourierMessages messages(mail_vault);
  projections::FlowRetention retention;
  infra::store::StoreOptions o;
  o.path = dir.string();
  o.catch_up_on_open = false;
  // Every projection mneme serve folds (cmd/common/store_assembly.cc).
  auto store = infra::store::RocksEventStore::Open(
      o, {&stats, &identities, &sessions, &activity, &messages, &retention});
  if (!store) {
    std::fprintf(stderr, "reopen: %s\n", store.error().ToString().c_str());
    return 1;
  }
  vault.SetStore(store->get());
  const auto t0 = Clock::now();
  std::string last_name;
  uint64_t last_report = 0;
  auto folded = (*store)->CatchUpProjections([&](const std::string& name, uint64_t done, uint64_t all) {
    if (name != last_name || done - last_report >= 200000 || done == all) {
      std::fprintf(stderr, "  %s %llu/%llu\n", name.c_str(), static_cast<unsigned long long>(done),
                   static_cast<unsigned long long>(all));
      last_name = name;
      last_report = done;
    }
  });
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!folded) {
    std::fprintf(stderr, "rebuild: %s\n", folded.error().ToString().c_str());
    return 1;
  }
  std::printf("%-52s %10s %12s\n", "pass", "events", "events/s");
  std::printf("%-52s %10llu %12.0f\n",
              "rebuild of all 6 projections (stream_stats, identities, sessions, activity, courier, flow retention)",
              static_cast<unsigned long long>(written), written / seconds);
  (*store)->Close();
  std::filesystem::remove_all(dir);
}
