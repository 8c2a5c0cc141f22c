#include "api/health.h"

#include "api/http/errors.h"

namespace mneme::api {

void AddHealthRoutes(Router& router, const std::string& prefix, ReadinessProbe ready,
                     ReadinessDetails details) {
  router.Add("GET", prefix + "/health/alive",
             [](const httplib::Request&, httplib::Response& res, RequestContext&) {
               WriteJson(res, 200, {{"status", "ok"}});
             });
  router.Add("GET", prefix + "/health/ready",
             [ready, details](const httplib::Request&, httplib::Response& res, RequestContext&) {
               auto status = ready();
               nlohmann::json body = status ? nlohmann::json{{"status", "ok"}}
                                            : nlohmann::json{{"errors", {{"store", status.error().message()}}}};
               if (details) {
                 body["details"] = details();
               }
               WriteJson(res, status ? 200 : 503, body);
             });
}

void AddVersionRoute(Router& router, const std::string& prefix) {
  router.Add("GET", prefix + "/version",
             [](const httplib::Request&, httplib::Response& res, RequestContext&) {
               WriteJson(res, 200, {{"version", MNEME_VERSION}});
             });
}

}  // namespace mneme::api
