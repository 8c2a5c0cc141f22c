// mneme-courier: the standalone mail worker. Joins the Kafka consumer group
// on "<prefix>.courier", sends each mail over SMTP (retries, then abandoned),
// reports the outcome on "<prefix>.courier.status" (which `mneme serve`
// ingests into the log) and commits an offset only after its report was
// delivered. Run as many as the topic has partitions. Composition root.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>

#include "cmd/common/courier_config.h"
#include "infra/config/config.h"
#include "infra/crypto/mail_vault.h"
#include "infra/logging/logging.h"
#include "infra/system/system.h"
#include "workers/courier/courier_options.h"
#include "workers/courier/dispatcher.h"
#include "workers/courier/kafka_courier.h"

namespace {
std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }
}  // namespace

int main(int argc, char** argv) {
  using namespace mneme;
  auto options = workers::courier::ParseCourierFlags({argv + 1, argv + argc});
  if (!options) {
    std::fprintf(stderr, "mneme-courier: %s\n%s", options.error().message().c_str(),
                 workers::courier::kCourierUsage);
    return 2;
  }
  if (options->help) {
    std::fputs(workers::courier::kCourierUsage, stdout);
    return 0;
  }
  auto config = infra::config::LoadConfig(options->config_files, infra::config::ProcessEnvironment());
  if (!config) {
    std::fprintf(stderr, "mneme-courier: %s\n", config.error().message().c_str());
    return 1;
  }
  auto log = infra::logging::MakeLogger(
      "mneme-courier", config->log_level,
      config->log_format == "json" ? infra::logging::Format::kJson : infra::logging::Format::kText);
  for (const auto& w : config->warnings) {
    log->warn("{}", w);
  }
  auto settings = cmd::CourierSettingsFrom(*config);
  if (!settings) {
    log->error("{}", settings.error().message());
    return 1;
  }
  if (settings->kafka_brokers.empty()) {
    log->error("mneme-courier needs mneme.kafka.brokers: it consumes {}.courier",
               settings->topic_prefix);
    return 1;
  }
  if (config->secrets_cipher.empty()) {
    log->error("mneme-courier needs secrets.cipher (the same as mneme serve's) to open the mail");
    return 1;
  }
  infra::system::SystemClock clock;
  infra::system::RandomIdGenerator ids;
  auto smtp = infra::courier::SmtpSender::Create(settings->smtp, clock);
  if (!smtp) {
    log->error("courier.smtp: {}", smtp.error().message());
    return 1;
  }
  infra::crypto::MailVault vault(config->secrets_cipher);
  workers::courier::RetryPolicy retry;
  retry.message_retries = settings->message_retries;
  retry.first_wait = settings->pull_wait;
  workers::courier::KafkaCourierOptions kafka;
  kafka.brokers = settings->kafka_brokers;
  kafka.topic_prefix = settings->topic_prefix;
  kafka.worker_id = options->worker_id;
  if (options->concurrency > 0) {
    kafka.concurrency = static_cast<size_t>(options->concurrency);
  }
  const std::string worker = kafka.worker_id;
  auto& sender = **smtp;
  auto courier = workers::courier::KafkaCourier::Create(
      kafka,
      [&](const workers::courier::CourierRecord& record) {
        return workers::courier::DispatchRecord(vault, sender, record, retry, clock, ids, worker,
                                                *log);
      },
      log);
  if (!courier) {
    log->error("{}", courier.error().message());
    return 1;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  log->info("courier started worker={} topic={}.courier concurrency={}", (*courier)->worker_id(),
            settings->topic_prefix, kafka.concurrency);
  auto ran = (*courier)->Run(g_stop);
  log->info("courier stopped processed={}", (*courier)->Processed());
  if (!ran) {
    log->error("{}", ran.error().message());
    return 1;
  }
  return 0;
}
