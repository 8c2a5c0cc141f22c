// App: the composition root of `mneme serve`. Owns the config, logger, clock,
// id generator, event store, projections and the two HTTP servers, and wires
// them together. Nothing else constructs these.
//
// Lifecycle: Create() loads and checks everything and opens the store;
// Start() begins serving; Shutdown() stops accepting, drains in-flight
// requests, then flushes and closes the store. Not thread-safe: driven by
// main's thread.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "api/admin/audit_service.h"
#include "api/courier/courier_service.h"
#include "api/courier/embedded_courier.h"
#include "infra/courier/smtp_sender.h"
#include "infra/kafka/status_consumer.h"
#include "api/admin/identity_service.h"
#include "api/http/server.h"
#include "api/selfservice/flow_repository.h"
#include "api/selfservice/flow_retention_job.h"
#include "api/selfservice/selfservice.h"
#include "api/session/session_service.h"
#include "domain/password/breach_check.h"
#include "domain/throttle/client_limiter.h"
#include "domain/throttle/login_throttle.h"
#include "infra/crypto/keyed_hasher.h"
#include "infra/password/hibp_client.h"
#include "infra/password/offline_breached_list.h"
#include "api/schemas.h"
#include "cmd/common/store_assembly.h"
#include "infra/crypto/personal_data_vault.h"
#include "infra/hash/hasher.h"
#include "infra/hash/hashing_pool.h"
#include "infra/hash/normalizing_hasher.h"
#include "infra/kafka/event_relay.h"
#include "projections/identities.h"
#include "infra/config/config.h"
#include "infra/store/rocks_event_store.h"
#include "infra/system/system.h"
#include "projections/stream_stats.h"

namespace mneme::cmd {

struct ServeFlags {
  std::vector<std::string> config_files;
  bool dev = false;
  bool watch_courier = false;
  std::string executable;  // argv[0], to find files installed beside the binary
};

class App {
 public:
  static Result<std::unique_ptr<App>> Create(const ServeFlags& flags,
                                             const infra::config::Environment& env);
  ~App();

  void Start();
  void Shutdown();

  int public_port() const { return public_->port(); }
  int admin_port() const { return admin_->port(); }
  spdlog::logger& log() { return *log_; }

 private:
  App() = default;

  infra::config::Config config_;
  std::shared_ptr<spdlog::logger> log_;
  infra::system::SystemClock clock_;
  infra::system::RandomIdGenerator ids_;
  infra::system::SystemRandom random_;
  std::unique_ptr<infra::hash::Hasher> hasher_;
  std::unique_ptr<infra::hash::NormalizingHasher> normalizing_;  // NFKC over hasher_
  std::unique_ptr<infra::hash::HashingPool> hashing_pool_;       // runs normalizing_'s work
  std::unique_ptr<api::SchemaRegistry> schemas_;
  std::unique_ptr<AssembledStore> assembled_;
  infra::store::RocksEventStore* store_ = nullptr;
  std::unique_ptr<api::IdentityService> identity_service_;
  std::unique_ptr<api::AuditService> audit_service_;
  std::unique_ptr<infra::crypto::HmacKeyedHasher> keyed_hasher_;
  std::unique_ptr<api::SessionService> session_service_;
  std::unique_ptr<api::FlowRepository> flows_;
  std::unique_ptr<infra::password::OfflineBreachedList> offline_breaches_;
  std::unique_ptr<infra::password::HibpClient> hibp_;
  std::unique_ptr<domain::password::BreachCheck> breach_check_;
  std::unique_ptr<domain::throttle::LoginThrottle> login_throttle_;
  std::unique_ptr<domain::throttle::ClientLimiter> client_limiter_;
  std::unique_ptr<api::FlowRetentionJob> retention_;
  std::unique_ptr<api::CourierService> courier_;
  std::unique_ptr<infra::courier::SmtpSender> smtp_;            // with --watch-courier
  std::unique_ptr<api::EmbeddedCourier> embedded_courier_;     // with --watch-courier
  std::unique_ptr<infra::kafka::StatusConsumer> status_consumer_;  // with Kafka
  std::unique_ptr<api::SelfService> selfservice_;
  std::unique_ptr<infra::kafka::EventRelay> relay_;  // only with mneme.kafka.brokers
  std::unique_ptr<api::HttpServer> public_;
  std::unique_ptr<api::HttpServer> admin_;
};

}  // namespace mneme::cmd
