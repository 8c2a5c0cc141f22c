// Health and version endpoints, as Kratos serves them:
// GET /health/alive, /health/ready on both ports (under /admin on admin),
// GET /admin/version.
#pragma once

#include <functional>

#include <nlohmann/json.hpp>

#include "api/http/router.h"
#include "domain/common/result.h"

namespace mneme::api {

// Returns OK while the service can serve (store open and writable).
using ReadinessProbe = std::function<Status()>;

// Extra readiness details (e.g. the Kafka relay's lag), shown beside
// "status" when set.
using ReadinessDetails = std::function<nlohmann::json()>;

void AddHealthRoutes(Router& router, const std::string& prefix, ReadinessProbe ready,
                     ReadinessDetails details = {});
void AddVersionRoute(Router& router, const std::string& prefix);

}  // namespace mneme::api
