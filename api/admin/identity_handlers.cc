#include "api/admin/identity_handlers.h"

#include <atomic>
#include <thread>

#include "api/admin/audit_service.h"
#include "api/http/errors.h"
#include "api/http/json_body.h"
#include "api/http/pagination.h"
#include "domain/common/time.h"

namespace mneme::api {
namespace {

using nlohmann::json;

std::vector<std::string> Includes(const httplib::Request& req) {
  std::vector<std::string> out;
  auto n = req.get_param_value_count("include_credential");
  for (size_t i = 0; i < n; ++i) {
    out.push_back(req.get_param_value("include_credential", i));
  }
  return out;
}

Status CheckIncludes(const std::vector<std::string>& includes) {
  static const char* kTypes[] = {"password", "oidc", "totp", "lookup_secret", "webauthn",
                                 "code", "passkey", "profile", "saml"};
  for (const auto& t : includes) {
    if (std::none_of(std::begin(kTypes), std::end(kTypes), [&](const char* k) { return t == k; })) {
      return MakeError(Code::kInvalidArgument,
                       "Invalid value `" + t + "` for parameter `include_credential`.");
    }
  }
  return OkStatus();
}

}  // namespace

void AddIdentityRoutes(Router& router, IdentityService& service, AuditService& audit,
                       std::string admin_base_url, EraseByDefault erase_default) {
  while (!admin_base_url.empty() && admin_base_url.back() == '/') {
    admin_base_url.pop_back();
  }
  router.Add("GET", "/admin/identities",
             [&service](const httplib::Request& req, httplib::Response& res, RequestContext&) {
               auto page = ParsePageRequest(req, 250, 500);
               if (!page) {
                 return WriteError(res, page.error());
               }
               auto includes = Includes(req);
               if (auto ok = CheckIncludes(includes); !ok) {
                 return WriteError(res, ok.error());
               }
               ListQuery q;
               q.page_size = page->size;
               q.after_id = page->token;
               q.credentials_identifier = req.get_param_value("credentials_identifier");
               for (size_t i = 0; i < req.get_param_value_count("ids"); ++i) {
                 q.ids.push_back(req.get_param_value("ids", i));
               }
               auto result = service.List(q);
               if (!result) {
                 return WriteError(res, result.error());
               }
               json out = json::array();
               for (const auto& identity : result->identities) {
                 out.push_back(service.Render(identity, includes, true));
               }
               SetLinkHeader(res, "/admin/identities", q.page_size, result->next_after);
               WriteJson(res, 200, out);
             });
  router.Add("POST", "/admin/identities",
             [&service, admin_base_url](const httplib::Request& req, httplib::Response& res,
                                        RequestContext& ctx) {
               auto body = ParseJsonBody(req);
               if (!body) {
                 return WriteBodyError(res, body.error());
               }
               auto created = service.Create(*body, "admin", ctx.request_id);
               if (!created) {
                 return WriteError(res, created.error());
               }
               res.set_header("Location", admin_base_url + "/admin/identities/" + created->id);
               WriteJson(res, 201, service.Render(*created, {}, true));
             });
  router.Add("PATCH", "/admin/identities",
             [&service](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
               auto body = ParseJsonBody(req);
               if (!body) {
                 return WriteBodyError(res, body.error());
               }
               if (!body->is_object() || !body->contains("identities") ||
                   !(*body)["identities"].is_array()) {
                 return WriteError(res, Error(Code::kInvalidArgument,
                                              "The request body must hold an \"identities\" list."));
               }
               const json& items = (*body)["identities"];
               if (items.size() > kBatchPatchLimit) {
                 return WriteError(
                     res, Error(Code::kInvalidArgument,
                                "The maximum number of identities that can be created or deleted at once is " +
                                    std::to_string(kBatchPatchLimit) + "."));
               }
               std::vector<json> results(items.size());
               // Items are independent: a few at once share the store's group commits.
               std::atomic<size_t> next{0};
               auto worker = [&] {
                 for (size_t i = next++; i < items.size(); i = next++) {
                   const json& item = items[i];
                   json r = {{"action", "create"}};
                   if (item.is_object() && item.contains("patch_id")) {
                     r["patch_id"] = item["patch_id"];
                   }
                   if (!item.is_object() || !item.contains("create") || !item["create"].is_object()) {
                     r["action"] = "error";
                     r["error"] = ErrorBody({400, "", "Each item needs a \"create\" object.",
                                             DefaultMessage(400), json::object()})["error"];
                   } else {
                     auto created = service.Create(item["create"], "admin", ctx.request_id);
                     if (created) {
                       r["identity"] = created->id;
                     } else {
                       r["action"] = "error";
                       const int status = HttpStatusFor(created.error().code());
                       ApiError e{status, "", created.error().message(), DefaultMessage(status),
                                  created.error().details().is_object() ? created.error().details()
                                                                        : json::object()};
                       r["error"] = ErrorBody(e)["error"];
                     }
                   }
                   results[i] = std::move(r);
                 }
               };
               std::vector<std::thread> threads;
               const size_t n = std::min<size_t>(4, std::max<size_t>(1, items.size()));
               for (size_t t = 0; t < n; ++t) {
                 threads.emplace_back(worker);
               }
               for (auto& t : threads) {
                 t.join();
               }
               WriteJson(res, 200, {{"identities", results}});
             });
  router.Add("GET", "/admin/identities/{id}",
             [&service](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
               auto includes = Includes(req);
               if (auto ok = CheckIncludes(includes); !ok) {
                 return WriteError(res, ok.error());
               }
               auto identity = service.Get(ctx.params["id"]);
               if (!identity) {
                 return WriteError(res, identity.error());
               }
               WriteJson(res, 200, service.Render(*identity, includes, true));
             });
  router.Add("PUT", "/admin/identities/{id}",
             [&service](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
               auto body = ParseJsonBody(req);
               if (!body) {
                 return WriteBodyError(res, body.error());
               }
               auto updated = service.Update(ctx.params["id"], *body, "admin", ctx.request_id);
               if (!updated) {
                 return WriteError(res, updated.error());
               }
               WriteJson(res, 200, service.Render(*updated, {}, true));
             });
  router.Add("PATCH", "/admin/identities/{id}",
             [&service](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
               auto body = ParseJsonBody(req, true);
               if (!body) {
                 return WriteBodyError(res, body.error());
               }
               auto patched = service.Patch(ctx.params["id"], *body, "admin", ctx.request_id);
               if (!patched) {
                 return WriteError(res, patched.error());
               }
               WriteJson(res, 200, service.Render(*patched, {}, true));
             });
  router.Add("DELETE", "/admin/identities/{id}",
             [&service, erase_default](const httplib::Request& req, httplib::Response& res,
                                       RequestContext& ctx) {
               bool erase = erase_default == EraseByDefault::kYes;
               if (req.has_param("erase")) {
                 const std::string v = req.get_param_value("erase");
                 if (v != "true" && v != "false") {
                   return WriteError(res, Error(Code::kInvalidArgument, "erase must be true or false"));
                 }
                 erase = v == "true";
               }
               auto done = erase ? service.Erase(ctx.params["id"], "admin", ctx.request_id)
                                 : service.Delete(ctx.params["id"], "admin", ctx.request_id);
               if (!done) {
                 return WriteError(res, done.error());
               }
               res.status = 204;
             });
  router.Add("GET", "/admin/identities/{id}/history",
             [&audit](const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
               if (req.has_param("at")) {
                 auto at = ParseRfc3339(req.get_param_value("at"));
                 if (!at) {
                   return WriteError(res, at.error());
                 }
                 auto state = audit.At(ctx.params["id"], *at);
                 if (!state) {
                   return WriteError(res, state.error());
                 }
                 return WriteJson(res, 200, *state);
               }
               auto page = ParsePageRequest(req, 250, 1000);
               if (!page) {
                 return WriteError(res, page.error());
               }
               uint64_t from = 1;
               if (!page->token.empty()) {
                 char* end = nullptr;
                 from = std::strtoull(page->token.c_str(), &end, 10);
                 if (*end != '\0' || from == 0) {
                   return WriteError(res, Error(Code::kInvalidArgument, "page_token is malformed"));
                 }
               }
               auto history = audit.History(ctx.params["id"], from, page->size);
               if (!history) {
                 return WriteError(res, history.error());
               }
               SetLinkHeader(res, "/admin/identities/" + ctx.params["id"] + "/history", page->size,
                             history->next_position ? std::to_string(history->next_position) : "");
               WriteJson(res, 200, history->events);
             });
  router.Add("DELETE", "/admin/identities/{id}/credentials/{type}",
             [&service](const httplib::Request&, httplib::Response& res, RequestContext& ctx) {
               auto done = service.DeleteCredential(ctx.params["id"], ctx.params["type"], "admin",
                                                    ctx.request_id);
               if (!done) {
                 return WriteError(res, done.error());
               }
               res.status = 204;
             });
}

}  // namespace mneme::api
