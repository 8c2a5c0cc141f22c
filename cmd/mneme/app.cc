#include "cmd/mneme/app.h"

#include <cstdlib>

#include "api/health.h"
#include "infra/logging/logging.h"

namespace mneme::cmd {

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
  infra::store::StoreOptions store_options;
  store_options.path = path;
  MNEME_TRY(app->store_, infra::store::RocksEventStore::Open(store_options, {&app->stream_stats_}));
  app->log_->info("store open head={}", app->store_->Head().value());

  auto* store = app->store_.get();
  api::ReadinessProbe ready = [store] { return store->Healthy(); };

  api::Router public_routes;
  api::AddHealthRoutes(public_routes, "", ready);
  api::Router admin_routes;
  api::AddHealthRoutes(admin_routes, "/admin", ready);
  api::AddVersionRoute(admin_routes, "/admin");

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
