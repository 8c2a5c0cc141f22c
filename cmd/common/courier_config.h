// The courier part of kratos.yml, read once for `mneme serve` (embedded
// courier, admin API) and `mneme-courier`: SMTP options, retries, the worker's
// pull settings and the template overrides of courier.templates and
// courier.template_override_path (file:// and base64:// sources; Kratos's
// http(s):// sources are refused with a clear error: no network at start).
#pragma once

#include <chrono>
#include <string>

#include "domain/common/result.h"
#include "domain/courier/templates.h"
#include "infra/config/config.h"
#include "infra/courier/smtp_sender.h"

namespace mneme::cmd {

struct CourierSettings {
  infra::courier::SmtpOptions smtp;
  int message_retries = 5;
  std::chrono::milliseconds pull_wait{1000};
  size_t pull_count = 10;
  domain::courier::TemplateOverrides templates;
  std::string kafka_brokers;  // mneme.kafka.brokers ("" without Kafka)
  std::string topic_prefix = "mneme";
};

// Errors: kInvalidArgument (a bad value, an unreadable or undecodable
// template source) naming the key.
Result<CourierSettings> CourierSettingsFrom(const infra::config::Config& config);

}  // namespace mneme::cmd
