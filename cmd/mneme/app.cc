#include "cmd/mneme/app.h"

#include <cstdlib>

#include <fstream>
#include <sstream>

#include "api/admin/identity_handlers.h"
#include "api/health.h"
#include "infra/config/schema_loader.h"
#include "infra/crypto/aead.h"
#include "infra/hash/hasher_config.h"
#include "infra/logging/logging.h"

namespace mneme::cmd {
namespace {

// The key-encryption keys: secrets.cipher, or (when unset) a key generated
// once and kept in the store directory, with a warning.
Result<std::vector<std::string>> KeyEncryptionKeys(const infra::config::Config& config,
                                                   const std::string& store_path,
                                                   spdlog::logger& log) {
  if (!config.secrets_cipher.empty()) {
    return config.secrets_cipher;
  }
  std::filesystem::create_directories(store_path);
  const auto path = std::filesystem::path(store_path) / "mneme-generated-kek";
  std::string key;
  if (std::ifstream in(path); in) {
    std::stringstream ss;
    ss << in.rdbuf();
    key = ss.str();
  }
  if (key.size() != 32) {
    key = infra::crypto::Base64UrlEncode(infra::crypto::RandomBytes(24));  // 32 characters
    std::ofstream out(path, std::ios::trunc);
    out << key;
    if (!out) {
      return MakeError(Code::kUnavailable, "cannot write " + path.string());
    }
    std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  log.warn("secrets.cipher is not set: personal data is sealed with a generated key kept in {}; "
           "set secrets.cipher in production", path.string());
  return std::vector<std::string>{key};
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

  std::string path = config.store_path;
  if (config.dsn_kind == infra::config::DsnKind::kMemory) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mneme-memory-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) {
      return MakeError(Code::kUnavailable, "cannot create a temporary directory for dsn: memory");
    }
    app->temp_dir_ = tmpl;
    path = tmpl;
  }
  app->log_->info("opening store dsn={} path={}", infra::config::RedactDsn(config.dsn), path);
  MNEME_TRY(auto documents, infra::config::LoadSchemaDocuments(config));
  std::vector<api::SchemaRegistry::Source> sources;
  for (auto& d : documents) {
    sources.push_back({d.id, d.url, std::move(d.document)});
  }
  MNEME_TRY(app->schemas_, api::SchemaRegistry::Create(std::move(sources), config.default_schema_id,
                                                       config.public_api.base_url));
  MNEME_TRY(auto hasher_config,
            infra::hash::HasherConfigFrom(config.tree, flags.dev ? infra::hash::DevMode::kOn
                                                                 : infra::hash::DevMode::kOff));
  MNEME_TRY(app->hasher_, infra::hash::Hasher::Create(hasher_config));

  MNEME_TRY(auto keks, KeyEncryptionKeys(config, path, *app->log_));
  app->vault_ = std::make_unique<infra::crypto::PersonalDataVault>(infra::crypto::DataKeyring(keks));
  app->identities_ = std::make_unique<projections::Identities>(*app->vault_);
  infra::store::StoreOptions store_options;
  store_options.path = path;
  store_options.catch_up_on_open = false;  // the identities projection reads data keys
  MNEME_TRY(app->store_, infra::store::RocksEventStore::Open(
                             store_options, {&app->stream_stats_, app->identities_.get()}));
  app->vault_->SetStore(app->store_.get());
  MNEME_RETURN_IF_ERROR(app->store_->CatchUpProjections());
  app->log_->info("store open head={}", app->store_->Head().value());
  app->identity_service_ = std::make_unique<api::IdentityService>(
      *app->store_, *app->store_, *app->vault_, *app->schemas_, *app->hasher_, app->clock_, app->ids_);
  app->audit_service_ =
      std::make_unique<api::AuditService>(*app->store_, *app->vault_, *app->identity_service_);

  auto* store = app->store_.get();
  api::ReadinessProbe ready = [store] { return store->Healthy(); };

  api::Router public_routes;
  api::AddHealthRoutes(public_routes, "", ready);
  api::AddSchemaRoutes(public_routes, *app->schemas_);
  api::Router admin_routes;
  api::AddHealthRoutes(admin_routes, "/admin", ready);
  api::AddVersionRoute(admin_routes, "/admin");
  const bool erase = config.GetString("mneme.identities.erase_on_delete", "false") == "true";
  api::AddIdentityRoutes(admin_routes, *app->identity_service_, *app->audit_service_,
                         config.admin_api.base_url,
                         erase ? api::EraseByDefault::kYes : api::EraseByDefault::kNo);

  api::ServerOptions public_options{"public", config.public_api.host, config.public_api.port,
                                    config.public_api.threads, 5 * 1024 * 1024,
                                    api::AdminPrefix::kNone};
  api::ServerOptions admin_options{"admin", config.admin_api.host, config.admin_api.port,
                                   config.admin_api.threads, 5 * 1024 * 1024,
                                   api::AdminPrefix::kRedirect};
  MNEME_TRY(app->public_, api::HttpServer::Create(public_options, std::move(public_routes),
                                                  app->ids_, app->log_));
  MNEME_TRY(app->admin_, api::HttpServer::Create(admin_options, std::move(admin_routes),
                                                 app->ids_, app->log_));
  return app;
}

App::~App() { Shutdown(); }

void App::Start() {
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
  if (store_) {
    store_->Close();
    store_.reset();
    log_->info("store closed");
  }
  if (!temp_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(temp_dir_, ec);
    temp_dir_.clear();
  }
}

}  // namespace mneme::cmd
