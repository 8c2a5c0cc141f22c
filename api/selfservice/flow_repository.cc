#include "api/selfservice/flow_repository.h"

namespace mneme::api {

using domain::flow::Flow;

Result<Flow> FlowRepository::Load(const std::string& id) {
  MNEME_TRY(auto events, store_.ReadStream(domain::flow::StreamOf(id), StreamVersion(1)));
  if (events.empty()) {
    return MakeError(Code::kNotFound, "Unable to locate the resource");
  }
  Flow flow;
  flow.id = id;
  const std::string owner = domain::flow::StreamOf(id);
  for (const auto& envelope : events) {
    MNEME_TRY(auto data, domain::OpenEventData(cipher_, owner, envelope.data));
    MNEME_TRY(auto event, domain::flow::Decode(envelope.type, data.plain, data.personal));
    flow = domain::flow::Evolve(std::move(flow), event, envelope.time);
  }
  flow.version = events.size();
  return flow;
}

Result<std::string> FlowRepository::RecordError(const std::string& id, const nlohmann::json& error,
                                               const std::string& request_id) {
  domain::AppendRequest request;
  request.stream = "selfservice-error-" + id;
  request.expected = domain::ExpectedVersion::NoStream();
  domain::NewEvent e;
  e.type = "selfservice.error_recorded";
  e.time = clock_.Now();
  e.actor = "anonymous";
  e.request_id = request_id;
  e.data = nlohmann::json{{"plain", {{"error", error}}}}.dump();
  request.events.push_back(std::move(e));
  MNEME_RETURN_IF_ERROR(store_.Append(std::move(request)));
  return id;
}

Result<FlowRepository::StoredError> FlowRepository::LoadError(const std::string& id) {
  MNEME_TRY(auto events, store_.ReadStream("selfservice-error-" + id, StreamVersion(1)));
  if (events.empty()) {
    return MakeError(Code::kNotFound, "Unable to locate the resource");
  }
  auto doc = nlohmann::json::parse(events.front().data, nullptr, false);
  if (doc.is_discarded() || !doc.contains("plain")) {
    return MakeError(Code::kDataLoss, "stored self-service error is not JSON");
  }
  return StoredError{doc["plain"].value("error", nlohmann::json::object()), events.front().time};
}

Result<Flow> FlowRepository::Execute(const Flow& flow, const domain::flow::Command& command,
                                     const std::string& actor, const std::string& request_id) {
  MNEME_TRY(auto events, domain::flow::Decide(flow, command));
  if (events.empty()) {
    return flow;
  }
  const auto now = clock_.Now();
  const std::string owner = domain::flow::StreamOf(flow.id);
  domain::AppendRequest request;
  request.stream = owner;
  request.expected = flow.exists ? domain::ExpectedVersion::Exact(flow.version)
                                 : domain::ExpectedVersion::NoStream();
  Flow after = flow;
  for (auto& event : events) {
    auto encoded = domain::flow::Encode(event);
    if (!encoded.personal.is_null()) {
      if (!flow.exists) {
        MNEME_TRY(auto key_op, cipher_.CreateKey(owner));
        request.data_keys.push_back(key_op);
      }
    }
    domain::NewEvent e;
    e.type = encoded.type;
    e.time = now;
    e.actor = actor;
    e.request_id = request_id;
    MNEME_TRY(e.data, domain::SealEventData(cipher_, owner, encoded.plain, encoded.personal));
    request.events.push_back(std::move(e));
    after = domain::flow::Evolve(std::move(after), event, now);
  }
  MNEME_RETURN_IF_ERROR(store_.Append(std::move(request)));
  after.version = flow.version + events.size();
  return after;
}

Status FlowRepository::ExpireData(const std::string& id, const std::string& request_id) {
  const std::string owner = domain::flow::StreamOf(id);
  domain::AppendRequest request;
  request.stream = owner;
  request.expected = domain::ExpectedVersion::Any();
  auto encoded = domain::flow::Encode(domain::flow::FlowDataExpired{});
  domain::NewEvent e;
  e.type = encoded.type;
  e.time = clock_.Now();
  e.actor = "system";
  e.request_id = request_id;
  e.data = nlohmann::json{{"plain", encoded.plain}}.dump();
  request.events.push_back(std::move(e));
  request.data_keys.push_back(domain::DataKeyOp{domain::DataKeyAction::kDelete, owner, ""});
  MNEME_RETURN_IF_ERROR(store_.Append(std::move(request)));
  cipher_.Forget(owner);
  return OkStatus();
}

}  // namespace mneme::api
