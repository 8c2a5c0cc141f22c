// Maps kratos.yml (and mneme's own keys) onto the self-service and session
// options. Part of the composition root of `mneme serve`.
#pragma once

#include "api/http/server.h"
#include "api/selfservice/selfservice.h"
#include "api/session/session_service.h"
#include "domain/throttle/client_limiter.h"
#include "domain/throttle/login_throttle.h"
#include "infra/config/config.h"

namespace mneme::cmd {

struct SelfServiceSettings {
  api::SelfServiceConfig selfservice;
  api::SessionOptions sessions;
  domain::throttle::LoginThrottleOptions login_throttle;
  domain::throttle::ClientLimiterOptions client_limiter;
  bool hibp_enabled = true;
  std::string hibp_host = "api.pwnedpasswords.com";
  int64_t max_breaches = 0;
  bool ignore_network_errors = true;
  std::string breached_list;  // path of the offline list
};

// serve.public.cors, with Kratos's defaults.
api::CorsOptions PublicCorsFrom(const infra::config::Config& config);

// Errors: kInvalidArgument naming the key.
Result<SelfServiceSettings> SelfServiceSettingsFrom(const infra::config::Config& config, bool dev);

}  // namespace mneme::cmd
