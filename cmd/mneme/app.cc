#include "cmd/mneme/app.h"

#include <cstdlib>

#include <fstream>
#include <sstream>

#include "api/admin/identity_handlers.h"
#include "api/health.h"
#include "cmd/common/courier_config.h"
#include "cmd/mneme/selfservice_config.h"
#include "infra/config/duration.h"
#include "infra/config/schema_loader.h"
#include "infra/crypto/aead.h"
#include "infra/hash/hasher_config.h"
#include "infra/logging/logging.h"

namespace mneme::cmd {
namespace {

// A duration key of the config, or `fallback` when unset.
Result<std::chrono::microseconds> DurationOr(const infra::config::Config& config,
                                             const std::string& key,
                                             std::chrono::microseconds fallback) {
  const std::string text = config.GetString(key);
  if (text.empty()) {
    return fallback;
  }
  auto d = infra::config::ParseDuration(text);
  if (!d || d->count() < 0) {
    return MakeError(Code::kInvalidArgument, "config: " + key + ": not a duration: " + text);
  }
  return *d;
}

}  // namespace

Result<std::unique_ptr<App>> App::Create(const ServeFlags& flags,
                                         const infra::config::Environment& env) {
  std::unique_ptr<App> app(new App());
  MNEME_TRY(app->config_, infra::config::LoadConfig(flags.config_files, env));
  auto& config = app->config_;
  app->log_ = infra::logging::MakeLogger(
      "mneme", config.log_level,
      config.log_format == "json" ? infra::logging::Format::kJson : infra::logging::Format::kText);
  for (const auto& w : config.warnings) {
    app->log_->warn("{}", w);
  }
  MNEME_RETURN_IF_ERROR(infra::config::CheckResources(config));

  MNEME_TRY(auto documents, infra::config::LoadSchemaDocuments(config));
  std::vector<api::SchemaRegistry::Source> sources;
  for (auto& d : documents) {
    sources.push_back({d.id, d.url, std::move(d.document), std::move(d.text)});
  }
  MNEME_TRY(app->schemas_, api::SchemaRegistry::Create(std::move(sources), config.default_schema_id,
                                                       config.public_api.base_url));
  MNEME_TRY(auto hasher_config,
            infra::hash::HasherConfigFrom(config.tree, flags.dev ? infra::hash::DevMode::kOn
                                                                 : infra::hash::DevMode::kOff));
  MNEME_TRY(app->hasher_, infra::hash::Hasher::Create(hasher_config));
  app->normalizing_ = std::make_unique<infra::hash::NormalizingHasher>(*app->hasher_);
  app->hashing_pool_ = std::make_unique<infra::hash::HashingPool>(*app->normalizing_);

  MNEME_TRY(app->assembled_, AssembleStore(config, *app->log_));
  app->store_ = app->assembled_->store.get();
  MNEME_RETURN_IF_ERROR(CheckStoreReady(*app->assembled_, flags.config_files.front()));
  app->log_->info("store open head={}", app->store_->Head().value());
  app->identity_service_ = std::make_unique<api::IdentityService>(
      *app->store_, *app->store_, *app->assembled_->vault, *app->schemas_, *app->hashing_pool_, app->clock_, app->ids_);
  app->audit_service_ =
      std::make_unique<api::AuditService>(*app->store_, *app->store_, *app->assembled_->vault,
                                          *app->identity_service_);

  MNEME_TRY(auto settings, SelfServiceSettingsFrom(config, flags.dev));
  std::vector<std::string> secrets = config.secrets_default;
  if (secrets.empty()) {
    // Kratos generates a random secret at boot when none is configured:
    // sessions then do not survive a restart.
    secrets.push_back(infra::crypto::Base64UrlEncode(infra::crypto::RandomBytes(32)));
    app->log_->warn("secrets.default is not set: sessions will not survive a restart; set it in production");
  }
  app->keyed_hasher_ = std::make_unique<infra::crypto::HmacKeyedHasher>(secrets);
  app->session_service_ = std::make_unique<api::SessionService>(
      *app->store_, *app->store_, *app->assembled_->vault, *app->keyed_hasher_, app->random_,
      app->clock_, app->ids_, *app->identity_service_, settings.sessions);
  app->flows_ = std::make_unique<api::FlowRepository>(*app->store_, *app->assembled_->vault, app->clock_);
  std::filesystem::path list = settings.breached_list;
  if (list.empty()) {
    list = std::filesystem::path(flags.executable).parent_path() / "breached-passwords.bin";
  }
  auto offline = infra::password::OfflineBreachedList::Load(list);
  if (!offline) {
    return MakeError(Code::kInvalidArgument,
                     "the offline list of breached passwords (" + list.string() +
                         ") cannot be read: " + offline.error().message() +
                         "; build it with scripts/build-breached-list or set mneme.passwords.breached_list");
  }
  app->offline_breaches_ = std::move(*offline);
  if (settings.hibp_enabled) {
    infra::password::HibpOptions hibp;
    hibp.host = settings.hibp_host;
    MNEME_TRY(app->hibp_, infra::password::HibpClient::Create(hibp, app->clock_));
  }
  app->breach_check_ = std::make_unique<domain::password::BreachCheck>(
      app->offline_breaches_.get(), app->hibp_.get(), settings.max_breaches,
      settings.ignore_network_errors ? domain::password::NetworkErrors::kIgnore
                                     : domain::password::NetworkErrors::kFail);
  app->login_throttle_ =
      std::make_unique<domain::throttle::LoginThrottle>(app->clock_, settings.login_throttle);
  app->client_limiter_ =
      std::make_unique<domain::throttle::ClientLimiter>(app->clock_, settings.client_limiter);
  api::FlowRetentionOptions retention;
  MNEME_TRY(retention.grace, DurationOr(config, "mneme.retention.unlinked_flows", retention.grace));
  MNEME_TRY(auto interval, DurationOr(config, "mneme.retention.interval",
                                      std::chrono::microseconds(retention.interval)));
  retention.interval = std::max(std::chrono::milliseconds(10),
                                std::chrono::duration_cast<std::chrono::milliseconds>(interval));
  app->retention_ = std::make_unique<api::FlowRetentionJob>(*app->flows_, *app->store_, app->clock_,
                                                            retention, app->log_);
  MNEME_TRY(auto courier_settings, CourierSettingsFrom(config));
  api::CourierConfig courier_config;
  courier_config.dev = flags.dev;
  courier_config.message_retries = courier_settings.message_retries;
  courier_config.templates = courier_settings.templates;
  courier_config.throttle_mail = settings.selfservice.throttle_enabled;
  app->courier_ = std::make_unique<api::CourierService>(*app->store_, *app->store_,
                                                        *app->assembled_->mail_vault, app->clock_,
                                                        app->ids_, courier_config);
  if (flags.watch_courier || config.GetString("watch_courier") == "true") {
    if (courier_settings.smtp.connection_uri.empty()) {
      return MakeError(Code::kInvalidArgument,
                       "--watch-courier needs courier.smtp.connection_uri in the config");
    }
    MNEME_TRY(app->smtp_, infra::courier::SmtpSender::Create(courier_settings.smtp, app->clock_));
    api::EmbeddedCourierOptions embedded;
    embedded.pull_wait = courier_settings.pull_wait;
    embedded.pull_count = courier_settings.pull_count;
    app->embedded_courier_ = std::make_unique<api::EmbeddedCourier>(
        *app->courier_, *app->smtp_, *app->store_, app->ids_, embedded, app->log_);
  }
  if (!courier_settings.kafka_brokers.empty()) {
    infra::kafka::StatusConsumerOptions status;
    status.brokers = courier_settings.kafka_brokers;
    status.topic_prefix = courier_settings.topic_prefix;
    auto* courier = app->courier_.get();
    MNEME_TRY(app->status_consumer_,
              infra::kafka::StatusConsumer::Create(
                  status,
                  [courier](const std::string& id, const std::string& value) {
                    return courier->IngestReport(id, value);
                  },
                  app->log_));
  }
  MNEME_TRY(auto dummy_hash, app->hasher_->Hash("mneme-dummy-password-for-unknown-identifiers"));
  app->selfservice_ = std::make_unique<api::SelfService>(
      settings.selfservice,
      api::SelfServiceDeps{*app->flows_, *app->session_service_, *app->identity_service_,
                           *app->schemas_, *app->hashing_pool_, *app->breach_check_,
                           *app->login_throttle_, *app->client_limiter_, *app->store_,
                           app->random_, app->clock_, app->ids_, *app->courier_,
                           *app->keyed_hasher_},
      dummy_hash);

  if (const std::string brokers = config.GetString("mneme.kafka.brokers"); !brokers.empty()) {
    infra::kafka::RelayOptions relay_options;
    relay_options.brokers = brokers;
    relay_options.topic_prefix = config.GetString("mneme.kafka.topic_prefix", "mneme");
    MNEME_TRY(app->relay_, infra::kafka::EventRelay::Create(relay_options, *app->store_, app->log_));
  }
  auto* store = app->store_;
  api::ReadinessProbe ready = [store] { return store->Healthy(); };

  api::Router public_routes;
  api::AddHealthRoutes(public_routes, "", ready);
  api::AddSchemaRoutes(public_routes, *app->schemas_);
  app->selfservice_->AddPublicRoutes(public_routes);
  api::Router admin_routes;
  api::ReadinessDetails details;
  if (app->relay_) {
    auto* relay = app->relay_.get();
    details = [relay] {
      return nlohmann::json{{"kafka_relay", {{"lag", relay->Lag()}, {"checkpoint", relay->Checkpoint()}}}};
    };
  }
  api::AddHealthRoutes(admin_routes, "/admin", ready, details);
  api::AddVersionRoute(admin_routes, "/admin");
  app->selfservice_->AddAdminRoutes(admin_routes);
  app->courier_->AddAdminRoutes(admin_routes);
  const bool erase = config.GetString("mneme.identities.erase_on_delete", "false") == "true";
  api::AddIdentityRoutes(admin_routes, *app->identity_service_, *app->audit_service_,
                         config.admin_api.base_url,
                         erase ? api::EraseByDefault::kYes : api::EraseByDefault::kNo);

  api::ServerOptions public_options{"public", config.public_api.host, config.public_api.port,
                                    config.public_api.threads, 5 * 1024 * 1024,
                                    api::AdminPrefix::kNone, PublicCorsFrom(config)};
  api::ServerOptions admin_options{"admin", config.admin_api.host, config.admin_api.port,
                                   config.admin_api.threads, 5 * 1024 * 1024,
                                   api::AdminPrefix::kRedirect, api::CorsOptions{}};
  MNEME_TRY(app->public_, api::HttpServer::Create(public_options, std::move(public_routes),
                                                  app->ids_, app->log_));
  MNEME_TRY(app->admin_, api::HttpServer::Create(admin_options, std::move(admin_routes),
                                                 app->ids_, app->log_));
  return app;
}

App::~App() { Shutdown(); }

void App::Start() {
  if (relay_) {
    relay_->Start();
    log_->info("kafka relay started checkpoint={}", relay_->Checkpoint());
  }
  if (embedded_courier_) {
    embedded_courier_->Start();
  }
  retention_->Start();
  if (status_consumer_) {
    if (auto started = status_consumer_->Start(); !started) {
      log_->error("courier status ingestion not started: {}", started.error().message());
    }
  }
  public_->Start();
  admin_->Start();
  log_->info("listening public={}:{} admin={}:{}", config_.public_api.host, public_->port(),
             config_.admin_api.host, admin_->port());
}

void App::Shutdown() {
  if (public_) {
    public_->Stop();
  }
  if (admin_) {
    admin_->Stop();
  }
  if (embedded_courier_) {
    embedded_courier_->Stop();
    embedded_courier_.reset();
  }
  if (retention_) {
    retention_->Stop();
  }
  if (status_consumer_) {
    status_consumer_->Stop();
    status_consumer_.reset();
  }
  if (relay_) {
    relay_->Stop();
    log_->info("kafka relay stopped checkpoint={}", relay_->Checkpoint());
    relay_.reset();
  }
  if (assembled_) {
    assembled_->store->Close();
    log_->info("store closed");
    const auto temp_dir = assembled_->temp_dir;
    assembled_.reset();
    store_ = nullptr;
    if (!temp_dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(temp_dir, ec);
    }
  }
}

}  // namespace mneme::cmd
