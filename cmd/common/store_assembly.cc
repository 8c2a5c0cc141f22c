#include "cmd/common/store_assembly.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "infra/crypto/aead.h"

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
    std::filesystem::permissions(path, std::filesystem::perms::owner_read |
                                           std::filesystem::perms::owner_write);
  }
  log.warn("secrets.cipher is not set: personal data is sealed with a generated key kept in {}; "
           "set secrets.cipher in production", path.string());
  return std::vector<std::string>{key};
}

}  // namespace

Result<std::unique_ptr<AssembledStore>> AssembleStore(const infra::config::Config& config,
                                                      spdlog::logger& log) {
  auto s = std::make_unique<AssembledStore>();
  s->path = config.store_path;
  if (config.dsn_kind == infra::config::DsnKind::kMemory) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mneme-memory-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) {
      return MakeError(Code::kUnavailable, "cannot create a temporary directory for dsn: memory");
    }
    s->temp_dir = tmpl;
    s->path = tmpl;
  }
  log.info("opening store dsn={} path={}", infra::config::RedactDsn(config.dsn), s->path);
  MNEME_TRY(auto keks, KeyEncryptionKeys(config, s->path, log));
  s->vault = std::make_unique<infra::crypto::PersonalDataVault>(infra::crypto::DataKeyring(keks));
  s->stream_stats = std::make_unique<projections::StreamStats>();
  s->identities = std::make_unique<projections::Identities>(*s->vault);
  s->sessions = std::make_unique<projections::Sessions>(*s->vault);
  s->activity = std::make_unique<projections::IdentityActivity>();
  s->mail_vault = std::make_unique<infra::crypto::MailVault>(keks);
  s->courier_messages = std::make_unique<projections::CourierMessages>(*s->mail_vault);
  s->flow_retention = std::make_unique<projections::FlowRetention>();
  infra::store::StoreOptions options;
  options.path = s->path;
  options.catch_up_on_open = false;  // the identities projection reads data keys
  MNEME_TRY(s->store, infra::store::RocksEventStore::Open(
                          options, {s->stream_stats.get(), s->identities.get(), s->sessions.get(),
                           s->activity.get(), s->courier_messages.get(),
                           s->flow_retention.get()}));
  s->vault->SetStore(s->store.get());
  return s;
}

Status CheckStoreReady(AssembledStore& s, const std::string& config_hint) {
  const std::string run = "run `mneme-migrate -c " + config_hint + " --yes` first";
  const uint32_t layout = s.store->StoredLayoutVersion();
  if (layout != infra::store::RocksEventStore::kLayoutVersion) {
    return MakeError(Code::kFailedPrecondition,
                     "the store at " + s.path + " has layout version " + std::to_string(layout) +
                         " and this mneme needs " +
                         std::to_string(infra::store::RocksEventStore::kLayoutVersion) + ": " + run);
  }
  MNEME_TRY(auto statuses, s.store->ProjectionStatuses());
  const uint64_t head = s.store->Head().value();
  for (const auto& p : statuses) {
    if (p.checkpoint < head) {
      return MakeError(Code::kFailedPrecondition,
                       "projection " + p.name + " is not built (" + std::to_string(p.checkpoint) +
                           " of " + std::to_string(head) + " events): " + run);
    }
  }
  return OkStatus();
}

}  // namespace mneme::cmd
