#include "api/schemas.h"

#include "api/http/errors.h"
#include "api/http/pagination.h"
#include "infra/crypto/aead.h"

namespace mneme::api {

Result<std::unique_ptr<SchemaRegistry>> SchemaRegistry::Create(std::vector<Source> sources,
                                                               std::string default_id,
                                                               std::string public_base_url) {
  auto r = std::make_unique<SchemaRegistry>();
  r->default_id_ = std::move(default_id);
  r->public_base_url_ = std::move(public_base_url);
  while (!r->public_base_url_.empty() && r->public_base_url_.back() == '/') {
    r->public_base_url_.pop_back();
  }
  for (auto& s : sources) {
    auto compiled = domain::identity::CompiledSchema::Compile(s.document);
    if (!compiled) {
      return MakeError(Code::kInvalidArgument,
                       "identity schema " + s.id + " (" + s.url + "): " + compiled.error().message());
    }
    nlohmann::ordered_json ordered = nlohmann::ordered_json::parse(s.text, nullptr, false);
    if (s.text.empty() || ordered.is_discarded()) {
      ordered = nlohmann::ordered_json::parse(s.document.dump());
    }
    r->entries_.push_back(
        SchemaEntry{s.id, s.url, std::move(s.document), std::move(*compiled), std::move(ordered)});
  }
  return r;
}

const SchemaEntry* SchemaRegistry::Find(const std::string& id) const {
  for (const auto& e : entries_) {
    if (e.id == id) {
      return &e;
    }
  }
  if (auto decoded = infra::crypto::Base64UrlDecode(id)) {
    for (const auto& e : entries_) {
      if (e.id == *decoded) {
        return &e;
      }
    }
  }
  return nullptr;
}

std::string SchemaRegistry::SchemaUrl(const std::string& id) const {
  std::string enc = infra::crypto::Base64UrlEncode(id);
  return public_base_url_ + "/schemas/" + enc;
}

void AddSchemaRoutes(Router& router, const SchemaRegistry& registry) {
  router.Add("GET", "/schemas",
             [&registry](const httplib::Request& req, httplib::Response& res, RequestContext&) {
               auto page = ParsePageRequest(req, 250, 500);
               if (!page) {
                 WriteError(res, page.error());
                 return;
               }
               const auto& all = registry.entries();
               size_t start = 0;
               if (!page->token.empty()) {
                 while (start < all.size() && all[start].id <= page->token) {
                   ++start;
                 }
               } else if (page->legacy_page > 0) {
                 start = static_cast<size_t>(page->legacy_page) * page->size;
               }
               nlohmann::json out = nlohmann::json::array();
               size_t i = start;
               for (; i < all.size() && out.size() < page->size; ++i) {
                 out.push_back({{"id", all[i].id}, {"schema", all[i].document}});
               }
               if (i < all.size()) {
                 SetLinkHeader(res, "/schemas", page->size, all[i - 1].id);
               } else {
                 SetLinkHeader(res, "/schemas", page->size, "");
               }
               res.set_header("X-Total-Count", std::to_string(all.size()));
               WriteJson(res, 200, out);
             });
  router.Add("GET", "/schemas/{id}",
             [&registry](const httplib::Request&, httplib::Response& res, RequestContext& ctx) {
               const auto* e = registry.Find(ctx.params["id"]);
               if (!e) {
                 WriteError(res, Error(Code::kNotFound, "The requested resource could not be found"));
                 return;
               }
               WriteJson(res, 200, e->document);
             });
}

}  // namespace mneme::api
