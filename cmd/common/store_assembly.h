// The event store with its inline projections and the personal-data vault,
// assembled the same way by every binary that opens a store (`mneme serve`,
// `mneme-migrate`), so both fold with exactly the same projections.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "infra/config/config.h"
#include "infra/crypto/personal_data_vault.h"
#include "infra/store/rocks_event_store.h"
#include "infra/crypto/mail_vault.h"
#include "projections/courier_messages.h"
#include "projections/flow_retention.h"
#include "projections/identities.h"
#include "projections/identity_activity.h"
#include "projections/sessions.h"
#include "projections/stream_stats.h"

namespace mneme::cmd {

struct AssembledStore {
  std::filesystem::path temp_dir;  // for dsn: memory; removed by the owner
  std::unique_ptr<infra::crypto::PersonalDataVault> vault;
  std::unique_ptr<projections::StreamStats> stream_stats;
  std::unique_ptr<projections::Identities> identities;
  std::unique_ptr<projections::Sessions> sessions;
  std::unique_ptr<projections::IdentityActivity> activity;
  std::unique_ptr<infra::crypto::MailVault> mail_vault;  // courier messages (secrets.cipher)
  std::unique_ptr<projections::CourierMessages> courier_messages;
  std::unique_ptr<projections::FlowRetention> flow_retention;
  std::unique_ptr<infra::store::RocksEventStore> store;  // declared last: closed first
  std::string path;
};

// Opens (creating if new) the store the config's dsn names. Projections are
// registered but not caught up: the caller decides (serve refuses a store
// whose projections lag, the migrator folds them).
// Errors: kUnavailable (in use, I/O), kFailedPrecondition (layout from the
// future), kInvalidArgument.
Result<std::unique_ptr<AssembledStore>> AssembleStore(const infra::config::Config& config,
                                                      spdlog::logger& log);

// What `mneme serve` requires of a store: the current layout version and
// every projection up to date. Errors: kFailedPrecondition naming the command
// to run.
Status CheckStoreReady(AssembledStore& s, const std::string& config_hint);

}  // namespace mneme::cmd
