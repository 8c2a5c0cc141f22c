#include "api/health.h"

#include "api/http/errors.h"

namespace mneme::api {

void AddHealthRoutes(Router& router, const std::string& prefix, ReadinessProbe ready) {
  router.Add("GET", prefix + "/health/alive",
             [](const httplib::Request&, httplib::Response& res, RequestContext&) {
               WriteJson(res, 200, {{"status", "ok"}});
             });
  router.Add("GET", prefix + "/health/ready",
             [ready](const httplib::Request&, httplib::Response& res, RequestContext&) {
               auto status = ready();
               if (status) {
                 WriteJson(res, 200, {{"status", "ok"}});
               } else {
                 WriteJson(res, 503, {{"errors", {{"store", status.error().message()}}}});
               }
             });
}

void AddVersionRoute(Router& router, const std::string& prefix) {
  router.Add("GET", prefix + "/version",
             [](const httplib::Request&, httplib::Response& res, RequestContext&) {
               WriteJson(res, 200, {{"version", MNEME_VERSION}});
             });
}

}  // namespace mneme::api
