#include "api/courier/courier_service.h"

#include <algorithm>
#include <thread>

#include "api/http/errors.h"
#include "api/http/pagination.h"
#include "domain/common/uuid.h"
#include "projections/courier_messages.h"

namespace mneme::api {

using nlohmann::json;
namespace courier = domain::courier;

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

constexpr int kAppendAttempts = 8;

}  // namespace

CourierService::CourierService(domain::EventStore& store, domain::ProjectionReader& reads,
                               domain::PersonalDataCipher& mail_cipher, domain::Clock& clock,
                               domain::IdGenerator& ids, CourierConfig config)
    : store_(store), reads_(reads), cipher_(mail_cipher), clock_(clock), ids_(ids),
      config_(std::move(config)), mail_limiter_(clock, config_.mail_limit) {}

Result<std::string> CourierService::Queue(const QueueRequest& request) {
  if (config_.throttle_mail && !mail_limiter_.Take("mail:" + Lower(request.recipient)).allowed) {
    return MakeError(Code::kResourceExhausted, "too many mails to this address lately");
  }
  json data = request.data.is_object() ? request.data : json::object();
  data["To"] = request.recipient;
  MNEME_TRY(auto mail, courier::RenderMail(request.template_type, data, config_.templates));
  courier::QueueMessage queue;
  queue.template_type = request.template_type;
  queue.identity_id = request.identity_id;
  queue.flow_id = request.flow_id;
  queue.recipient = request.recipient;
  queue.subject = mail.subject;
  queue.body = mail.body_plaintext;
  queue.html_body = mail.body_html;
  MNEME_TRY(auto events, courier::Decide(courier::Message{}, queue));
  const std::string id = ids_.NewUuid();
  domain::AppendRequest append;
  append.stream = courier::StreamOf(id);
  append.expected = domain::ExpectedVersion::NoStream();
  const auto now = clock_.Now();
  for (const auto& e : events) {
    auto enc = courier::Encode(e);
    MNEME_TRY(auto sealed, domain::SealEventData(cipher_, append.stream, enc.plain, enc.personal));
    append.events.push_back(domain::NewEvent{enc.type, 1, now,
                                             request.identity_id.empty() ? "system" : request.identity_id,
                                             request.request_id, std::move(sealed), {}});
  }
  MNEME_TRY(auto appended, store_.Append(std::move(append)));
  (void)appended;
  return id;
}

Result<courier::Message> CourierService::Load(const std::string& id) {
  MNEME_TRY(auto folded, Fold(id));
  return std::move(folded.message);
}

Result<CourierService::Folded> CourierService::Fold(const std::string& id) {
  if (!common::IsUuid(id)) {
    return MakeError(Code::kNotFound, "Unable to locate the resource");
  }
  const std::string stream = courier::StreamOf(id);
  MNEME_TRY(auto events, store_.ReadStream(stream, StreamVersion(1)));
  if (events.empty()) {
    return MakeError(Code::kNotFound, "Unable to locate the resource");
  }
  Folded out;
  out.message.id = id;
  for (const auto& e : events) {
    MNEME_TRY(auto opened, domain::OpenEventData(cipher_, stream, e.data));
    MNEME_TRY(auto decoded, courier::Decode(e.type, opened.plain, opened.personal));
    out.message = courier::Evolve(std::move(out.message), decoded, e.time);
  }
  out.message.id = id;
  out.version = events.size();
  return out;
}

Result<courier::Message> CourierService::Execute(const std::string& id,
                                                 const courier::Command& command,
                                                 const std::string& actor) {
  for (int attempt = 0;; ++attempt) {
    MNEME_TRY(auto folded, Fold(id));
    courier::Message state = std::move(folded.message);
    MNEME_TRY(auto events, courier::Decide(state, command));
    if (events.empty()) {
      return state;
    }
    domain::AppendRequest append;
    append.stream = courier::StreamOf(id);
    append.expected = domain::ExpectedVersion::Exact(folded.version);
    const auto now = clock_.Now();
    for (const auto& e : events) {
      auto enc = courier::Encode(e);
      MNEME_TRY(auto sealed, domain::SealEventData(cipher_, append.stream, enc.plain, enc.personal));
      append.events.push_back(domain::NewEvent{enc.type, 1, now, actor, "", std::move(sealed), {}});
      state = courier::Evolve(std::move(state), e, now);
    }
    auto appended = store_.Append(std::move(append));
    if (appended) {
      return state;
    }
    if (appended.error().code() != Code::kAborted || attempt + 1 >= kAppendAttempts) {
      return tl::unexpected(appended.error());
    }
  }
}

Status CourierService::IngestReport(const std::string& message_id, const std::string& report) {
  auto doc = json::parse(report, nullptr, false);
  if (!doc.is_object() || !doc.contains("dispatches") || !doc["dispatches"].is_array()) {
    return MakeError(Code::kDataLoss, "a delivery report must be a JSON object with dispatches");
  }
  const std::string worker = doc.value("worker", "courier");
  for (const auto& d : doc["dispatches"]) {
    if (!d.is_object()) {
      continue;
    }
    courier::RecordAttempt attempt;
    attempt.ok = d.value("status", "") == courier::kDispatchSuccess;
    attempt.dispatch_id = d.value("id", "");
    attempt.error = d.contains("error") && d["error"].is_object() ? d["error"] : json::object();
    attempt.worker = worker;
    attempt.max_retries = config_.message_retries;
    auto after = Execute(message_id, attempt, "courier:" + worker);
    if (!after) {
      if (after.error().code() == Code::kNotFound || after.error().code() == Code::kInvalidArgument) {
        return OkStatus();  // not ours (another store) or malformed: nothing to record
      }
      return tl::unexpected(after.error());
    }
  }
  if (doc.value("status", "") == courier::kStatusAbandoned) {
    auto after = Execute(message_id, courier::Abandon{"max retries exceeded"}, "courier:" + worker);
    if (!after && after.error().code() != Code::kNotFound) {
      return tl::unexpected(after.error());
    }
  }
  return OkStatus();
}

Result<std::vector<std::string>> CourierService::Pending(size_t limit) {
  MNEME_TRY(auto rows, reads_.ScanRows(projections::CourierMessages::kName, "q/", "q/", limit));
  std::vector<std::string> out;
  for (const auto& [key, value] : rows) {
    out.push_back(key.substr(2));
  }
  return out;
}

void CourierService::AddAdminRoutes(Router& router) {
  router.Add("GET", "/admin/courier/messages",
             [this](const httplib::Request& req, httplib::Response& res, RequestContext&) {
               auto page = ParsePageRequest(req, 10, 1000);
               if (!page) {
                 return WriteError(res, page.error());
               }
               const std::string status = req.get_param_value("status");
               if (!status.empty() && status != courier::kStatusQueued &&
                   status != courier::kStatusProcessing && status != courier::kStatusSent &&
                   status != courier::kStatusAbandoned) {
                 ApiError e;
                 e.status = 400;
                 e.reason = "Message status is not valid";
                 e.message = "The request was malformed or contained invalid parameters";
                 return WriteError(res, e);
               }
               const std::string recipient = Lower(req.get_param_value("recipient"));
               // Newest first (the "o/" index); filters and the count read the
               // small per-message rows.
               size_t total = 0;
               std::vector<std::string> ids;
               std::string next;
               std::string start = "o/";
               const std::string after = page->token;
               while (true) {
                 auto rows = reads_.ScanRows(projections::CourierMessages::kName, "o/", start, 1000);
                 if (!rows) {
                   return WriteError(res, rows.error());
                 }
                 for (const auto& [key, id] : *rows) {
                   auto raw = reads_.GetRow(projections::CourierMessages::kName,
                                            projections::CourierMessages::RowKey(id));
                   if (!raw || !*raw) {
                     continue;
                   }
                   auto row = json::parse(**raw, nullptr, false);
                   if (!row.is_object() ||
                       (!status.empty() && row.value("status", "") != status) ||
                       (!recipient.empty() && Lower(row.value("recipient", "")) != recipient)) {
                     continue;
                   }
                   ++total;
                   if (after.empty() || key.substr(2) > after) {
                     if (ids.size() < page->size) {
                       ids.push_back(id);
                       next = key.substr(2);
                     } else if (ids.size() == page->size) {
                       ids.push_back("");  // marks that a next page exists
                     }
                   }
                 }
                 if (rows->size() < 1000) {
                   break;
                 }
                 start = rows->back().first + '\0';
               }
               if (ids.size() > page->size) {
                 ids.pop_back();
               } else {
                 next.clear();
               }
               json out = json::array();
               for (const auto& id : ids) {
                 auto message = Load(id);
                 if (!message) {
                   continue;  // erased meanwhile
                 }
                 out.push_back(json::parse(
                     courier::ToKratosJson(*message,
                                           config_.dev ? courier::BodyVisibility::kShown
                                                       : courier::BodyVisibility::kRedacted,
                                           courier::DispatchDetail::kOmit)
                         .dump()));
               }
               res.set_header("X-Total-Count", std::to_string(total));
               SetLinkHeader(res, "/admin/courier/messages", page->size, next);
               WriteJson(res, 200, out);
             });
  router.Add("GET", "/admin/courier/messages/{id}",
             [this](const httplib::Request&, httplib::Response& res, RequestContext& ctx) {
               if (!common::IsUuid(ctx.params["id"])) {
                 ApiError e;
                 e.status = 400;
                 e.reason = "Unable to parse the message id as UUID";
                 e.message = "The request was malformed or contained invalid parameters";
                 return WriteError(res, e);
               }
               auto message = Load(ctx.params["id"]);
               if (!message) {
                 if (message.error().code() == Code::kNotFound) {
                   return WriteError(res, NotFoundError());
                 }
                 return WriteError(res, message.error());
               }
               // Kratos answers with the message as stored, ordered fields.
               res.status = 200;
               res.set_content(courier::ToKratosJson(*message,
                                                     config_.dev ? courier::BodyVisibility::kShown
                                                                 : courier::BodyVisibility::kRedacted)
                                   .dump(),
                               "application/json; charset=utf-8");
             });
}

}  // namespace mneme::api
