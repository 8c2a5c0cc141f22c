// mneme-migrate: the one-shot job that prepares a store (as
// `kratos migrate sql -e --yes`): layout version, upcasting of old event
// payloads, projections folded up to the log head. Idempotent; a killed run
// resumes where it stopped. `status` reports without changing anything.
#include <cstdio>

#include "infra/config/duration.h"
#include "infra/kafka/topic_admin.h"
#include "cmd/common/store_assembly.h"
#include "infra/config/config.h"
#include "infra/logging/logging.h"
#include "workers/migrator/migrate_options.h"
#include "workers/migrator/upcasters.h"

namespace {

using namespace mneme;

// Counts (and, when `apply`, rewrites) events whose payload schema is old.
Result<uint64_t> Upcast(infra::store::RocksEventStore& store,
                        const workers::migrator::UpcasterRegistry& registry, bool apply) {
  uint64_t pending = 0;
  uint64_t from = 1;
  const uint64_t head = store.Head().value();
  while (true) {
    MNEME_TRY(auto chunk, store.ReadAll(GlobalPosition(from), 10000));
    if (chunk.empty()) {
      break;
    }
    std::vector<domain::EventEnvelope> rewritten;
    for (auto& e : chunk) {
      if (registry.NeedsUpcast(e)) {
        ++pending;
        if (apply) {
          MNEME_TRY(auto up, registry.UpcastToLatest(e));
          rewritten.push_back(std::move(up));
        }
      }
    }
    if (!rewritten.empty()) {
      MNEME_RETURN_IF_ERROR(store.ReplaceEvents(rewritten));
    }
    from = chunk.back().position.value() + 1;
    if (apply && head > 0) {
      std::fprintf(stderr, "\r  upcast scan %llu/%llu", static_cast<unsigned long long>(from - 1),
                   static_cast<unsigned long long>(head));
    }
  }
  if (apply && head > 0) {
    std::fprintf(stderr, "\n");
  }
  return pending;
}

int PrintStatus(cmd::AssembledStore& s) {
  auto& store = *s.store;
  const uint64_t head = store.Head().value();
  std::printf("store:          %s\n", s.path.c_str());
  std::printf("layout version: %u (this mneme: %u)\n", store.StoredLayoutVersion(),
              infra::store::RocksEventStore::kLayoutVersion);
  std::printf("log head:       %llu\n", static_cast<unsigned long long>(head));
  auto statuses = store.ProjectionStatuses();
  if (!statuses) {
    std::fprintf(stderr, "mneme-migrate: %s\n", statuses.error().message().c_str());
    return 1;
  }
  std::printf("%-20s %-28s %12s %s\n", "PROJECTION", "COLUMN FAMILY", "CHECKPOINT", "STATE");
  for (const auto& p : *statuses) {
    std::printf("%-20s %-28s %12llu %s\n", p.name.c_str(), p.column_family.c_str(),
                static_cast<unsigned long long>(p.checkpoint),
                p.checkpoint < head ? "behind: needs migrate" : "up to date");
  }
  auto pending = Upcast(store, workers::migrator::UpcasterRegistry::Default(), false);
  if (!pending) {
    std::fprintf(stderr, "mneme-migrate: %s\n", pending.error().message().c_str());
    return 1;
  }
  std::printf("pending upcasts: %llu\n", static_cast<unsigned long long>(*pending));
  for (const auto& family : store.RetiredProjectionFamilies()) {
    std::printf("retired projection family: %s (dropped by the next migrate)\n", family.c_str());
  }
  return 0;
}

int Migrate(cmd::AssembledStore& s, const infra::config::Config& config, spdlog::logger& log) {
  auto& store = *s.store;
  int changes = 0;
  const uint32_t layout = store.StoredLayoutVersion();
  if (layout != infra::store::RocksEventStore::kLayoutVersion) {
    // Layout 0 (events without a version) to 1 needs no data change.
    if (auto set = store.SetLayoutVersion(infra::store::RocksEventStore::kLayoutVersion); !set) {
      std::fprintf(stderr, "mneme-migrate: %s\n", set.error().message().c_str());
      return 1;
    }
    std::printf("layout version %u -> %u\n", layout, infra::store::RocksEventStore::kLayoutVersion);
    ++changes;
  }
  auto upcast = Upcast(store, workers::migrator::UpcasterRegistry::Default(), true);
  if (!upcast) {
    std::fprintf(stderr, "mneme-migrate: %s\n", upcast.error().message().c_str());
    return 1;
  }
  if (*upcast > 0) {
    std::printf("upcast %llu events to their latest payload schema\n",
                static_cast<unsigned long long>(*upcast));
    ++changes;
  }
  auto before = store.ProjectionStatuses();
  if (!before) {
    std::fprintf(stderr, "mneme-migrate: %s\n", before.error().message().c_str());
    return 1;
  }
  const uint64_t head = store.Head().value();
  auto caught_up = store.CatchUpProjections([](const std::string& name, uint64_t done, uint64_t total) {
    std::fprintf(stderr, "\r  folding %s %llu/%llu", name.c_str(),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total));
    if (done == total) {
      std::fprintf(stderr, "\n");
    }
  });
  if (!caught_up) {
    std::fprintf(stderr, "mneme-migrate: %s\n", caught_up.error().message().c_str());
    return 1;
  }
  for (const auto& p : *before) {
    if (p.checkpoint < head) {
      std::printf("built projection %s: folded events %llu..%llu\n", p.name.c_str(),
                  static_cast<unsigned long long>(p.checkpoint + 1),
                  static_cast<unsigned long long>(head));
      ++changes;
    }
  }
  for (const auto& family : store.RetiredProjectionFamilies()) {
    std::printf("dropping retired projection family %s\n", family.c_str());
    ++changes;
  }
  if (auto dropped = store.DropRetiredProjectionFamilies(); !dropped) {
    std::fprintf(stderr, "mneme-migrate: %s\n", dropped.error().message().c_str());
    return 1;
  }
  if (const std::string brokers = config.GetString("mneme.kafka.brokers"); !brokers.empty()) {
    infra::kafka::KafkaTopicsOptions topics;
    topics.prefix = config.GetString("mneme.kafka.topic_prefix", "mneme");
    topics.partitions = std::atoi(config.GetString("mneme.kafka.partitions", "6").c_str());
    topics.replication_factor =
        std::atoi(config.GetString("mneme.kafka.replication_factor", "1").c_str());
    if (const std::string retention = config.GetString("mneme.kafka.events_retention");
        !retention.empty() && retention != "-1") {
      auto d = infra::config::ParseDuration(retention);
      if (!d) {
        std::fprintf(stderr, "mneme-migrate: config: mneme.kafka.events_retention: %s\n",
                     d.error().message().c_str());
        return 1;
      }
      topics.events_retention_ms = d->count() / 1000;
    }
    if (topics.partitions < 1 || topics.replication_factor < 1) {
      std::fprintf(stderr, "mneme-migrate: config: mneme.kafka.partitions and replication_factor must be >= 1\n");
      return 1;
    }
    std::fprintf(stderr, "  kafka: preparing topics on %s\n", brokers.c_str());
    auto made = infra::kafka::EnsureTopics(brokers, infra::kafka::MnemeTopics(topics),
                                           std::chrono::seconds(30));
    if (!made) {
      std::fprintf(stderr, "mneme-migrate: %s\n", made.error().message().c_str());
      return 1;
    }
    for (const auto& t : *made) {
      if (t.outcome == infra::kafka::TopicOutcome::kCreated) {
        std::printf("created kafka topic %s\n", t.name.c_str());
        ++changes;
      } else {
        log.info("kafka topic {} exists", t.name);
      }
    }
  }
  if (changes == 0) {
    std::printf("the store is up to date: nothing to do\n");
  } else {
    std::printf("the store is ready (%d change%s)\n", changes, changes == 1 ? "" : "s");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto options = workers::migrator::ParseMigrateFlags({argv + 1, argv + argc});
  if (!options) {
    std::fprintf(stderr, "mneme-migrate: %s\n%s", options.error().message().c_str(),
                 workers::migrator::kMigrateUsage);
    return 2;
  }
  if (options->help) {
    std::fputs(workers::migrator::kMigrateUsage, stdout);
    return 0;
  }
  auto config = infra::config::LoadConfig(options->config_files, infra::config::ProcessEnvironment());
  if (!config) {
    std::fprintf(stderr, "mneme-migrate: %s\n", config.error().message().c_str());
    return 1;
  }
  auto log = infra::logging::MakeLogger(
      "mneme-migrate", config->log_level,
      config->log_format == "json" ? infra::logging::Format::kJson : infra::logging::Format::kText);
  for (const auto& w : config->warnings) {
    log->warn("{}", w);
  }
  auto assembled = cmd::AssembleStore(*config, *log);
  if (!assembled) {
    std::fprintf(stderr, "mneme-migrate: %s\n", assembled.error().message().c_str());
    return 1;
  }
  int rc = 0;
  if (options->command == workers::migrator::MigrateCommand::kStatus) {
    rc = PrintStatus(**assembled);
  } else if (!options->yes) {
    PrintStatus(**assembled);
    std::fprintf(stderr, "mneme-migrate: nothing was changed; pass --yes to apply\n");
    rc = 2;
  } else {
    rc = Migrate(**assembled, *config, *log);
  }
  (*assembled)->store->Close();
  if (!(*assembled)->temp_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all((*assembled)->temp_dir, ec);
  }
  return rc;
}
