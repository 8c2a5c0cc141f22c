#include "api/admin/audit_service.h"

#include "api/admin/json_diff.h"

#include <algorithm>
#include <future>
#include <optional>
#include <thread>

#include "api/admin/json_diff.h"
#include "domain/common/time.h"
#include "domain/common/uuid.h"
#include "domain/flow/flow.h"
#include "domain/identity/identity_codec.h"
#include "domain/session/session.h"
#include "projections/identity_activity.h"

namespace mneme::api {

using domain::identity::Identity;
using nlohmann::json;

namespace {

using common::IsUuid;

// The identity without volatile or secret parts, for diffs: credentials by
// type with their identifiers only.
json AuditView(const IdentityService& identities, const Identity& i) {
  if (!i.exists || i.deleted) {
    return json::object();
  }
  json doc = identities.Render(i, {}, true);
  doc.erase("updated_at");
  doc.erase("schema_url");
  json creds = json::object();
  for (const auto& [type, c] : i.credentials) {
    creds[type] = {{"identifiers", c.identifiers}, {"version", c.version}};
  }
  doc["credentials"] = creds;
  return doc;
}

// The top-level keys of the audit view an event type can change; empty means
// the whole view (creation, deletion, unknown types).
std::vector<std::string> KeysChangedBy(const std::string& type) {
  using namespace domain::identity;
  if (type == TraitsUpdated::kType) {
    return {"schema_id", "traits", "verifiable_addresses", "recovery_addresses"};
  }
  if (type == StateChanged::kType) {
    return {"state", "state_changed_at"};
  }
  if (type == MetadataPublicUpdated::kType) {
    return {"metadata_public"};
  }
  if (type == MetadataAdminUpdated::kType) {
    return {"metadata_admin"};
  }
  if (type == CredentialSet::kType || type == CredentialRemoved::kType) {
    return {"credentials"};
  }
  if (type == AddressVerified::kType) {
    return {"verifiable_addresses"};
  }
  return {};
}

// Whether PartialView renders the whole view for `keys`.
bool NeedsWholeView(const std::vector<std::string>& keys) {
  return keys.empty() || std::any_of(keys.begin(), keys.end(), [](const std::string& k) {
           return k == "verifiable_addresses" || k == "recovery_addresses";
         });
}

// PartialView's answer, taken from a whole view already rendered.
json Subset(const json& whole, const std::vector<std::string>& keys) {
  if (keys.empty()) {
    return whole;
  }
  json out = json::object();
  for (const auto& k : keys) {
    out[k] = whole.value(k, json());
  }
  return out;
}

// The part of the audit view under `keys`, rendering only what it needs.
json PartialView(const IdentityService& identities, const Identity& i,
                 const std::vector<std::string>& keys) {
  if (keys.empty() || !i.exists || i.deleted) {
    return AuditView(identities, i);
  }
  const bool needs_full = std::any_of(keys.begin(), keys.end(), [](const std::string& k) {
    return k == "verifiable_addresses" || k == "recovery_addresses";
  });
  json full = needs_full ? AuditView(identities, i) : json();
  json out = json::object();
  for (const auto& k : keys) {
    if (needs_full) {
      out[k] = full.value(k, json());
    } else if (k == "state") {
      out[k] = i.state;
    } else if (k == "state_changed_at") {
      out[k] = i.state_changed_at ? json(FormatRfc3339(*i.state_changed_at)) : json();
    } else if (k == "metadata_public") {
      out[k] = i.metadata_public;
    } else if (k == "metadata_admin") {
      out[k] = i.metadata_admin;
    } else if (k == "credentials") {
      json creds = json::object();
      for (const auto& [type, c] : i.credentials) {
        creds[type] = {{"identifiers", c.identifiers}, {"version", c.version}};
      }
      out[k] = creds;
    }
  }
  return out;
}

struct Folded {
  Identity state;
  bool erased = false;
};


struct DecodedEvent {
  domain::identity::Event event;
  bool erased = false;
};

// Opens and decodes events [0, count) of an identity's stream, on up to one
// thread per core (decryption and JSON decoding are most of a replay; folding
// itself is cheap and stays sequential). Errors: the first decode error.
Result<std::vector<DecodedEvent>> DecodeAll(domain::PersonalDataCipher& cipher,
                                            const std::vector<domain::EventEnvelope>& events,
                                            size_t count, bool parallel = true) {
  std::vector<std::optional<DecodedEvent>> out(count);
  auto decode_range = [&](size_t begin, size_t end) -> Status {
    for (size_t i = begin; i < end; ++i) {
      const auto& e = events[i];
      MNEME_TRY(auto data, domain::OpenEventData(cipher, e.stream.substr(9), e.data));
      MNEME_TRY(auto decoded, domain::identity::Decode(e.type, e.schema, data.plain, data.personal));
      out[i] = DecodedEvent{std::move(decoded), data.erased};
    }
    return OkStatus();
  };
  constexpr size_t kMinChunk = 512;
  const size_t threads =
      parallel ? std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()),
                                  (count + kMinChunk - 1) / kMinChunk)
               : 1;
  if (threads <= 1) {
    MNEME_RETURN_IF_ERROR(decode_range(0, count));
  } else {
    std::vector<std::future<Status>> parts;
    const size_t chunk = (count + threads - 1) / threads;
    for (size_t t = 1; t < threads; ++t) {
      parts.push_back(std::async(std::launch::async, decode_range, t * chunk,
                                 std::min(count, (t + 1) * chunk)));
    }
    Status first = decode_range(0, std::min(count, chunk));
    for (auto& p : parts) {
      Status s = p.get();
      if (first && !s) {
        first = std::move(s);
      }
    }
    MNEME_RETURN_IF_ERROR(first);
  }
  std::vector<DecodedEvent> decoded;
  decoded.reserve(count);
  for (auto& d : out) {
    decoded.push_back(std::move(*d));
  }
  return decoded;
}

}  // namespace

Result<json> AuditService::ActivityItem(const std::string& identity_id, uint64_t position) {
  MNEME_TRY(auto found, store_.ReadAll(GlobalPosition(position), 1));
  if (found.empty() || found.front().position.value() != position) {
    return MakeError(Code::kDataLoss, "activity row points at a missing event");
  }
  const auto& e = found.front();
  json item = {{"position", e.position.value()},
               {"type", e.type},
               {"time", FormatRfc3339(e.time)},
               {"actor", e.actor},
               {"request_id", e.request_id},
               {"stream", e.stream}};
  if (e.stream.rfind("session-", 0) == 0) {
    MNEME_TRY(auto data, domain::OpenEventData(cipher_, identity_id, e.data));
    MNEME_TRY(auto event, domain::session::Decode(e.type, data.plain, data.personal));
    json session = {{"id", e.stream.substr(8)}};
    if (const auto* issued = std::get_if<domain::session::SessionIssued>(&event)) {
      json methods = json::array();
      for (const auto& m : issued->methods) {
        methods.push_back({{"method", m.method}, {"aal", m.aal}});
      }
      json devices = json::array();
      for (const auto& d : issued->devices) {
        devices.push_back(
            {{"ip_address", d.ip_address}, {"user_agent", d.user_agent}, {"location", d.location}});
      }
      session["aal"] = issued->aal;
      session["authentication_methods"] = methods;
      session["expires_at"] = FormatRfc3339(issued->expires_at);
      session["devices"] = devices;
    } else if (const auto* revoked = std::get_if<domain::session::SessionRevoked>(&event)) {
      session["reason"] = revoked->reason;
    } else if (const auto* extended = std::get_if<domain::session::SessionExtended>(&event)) {
      session["expires_at"] = FormatRfc3339(extended->expires_at);
    }
    item["session"] = session;
    if (data.erased) {
      item["erased"] = true;
    }
    return item;
  }
  // A flow: its kind from flow.created, what happened from this event. The
  // values the person typed are not shown.
  MNEME_TRY(auto data, domain::OpenEventData(cipher_, e.stream, e.data));
  MNEME_TRY(auto event, domain::flow::Decode(e.type, data.plain, data.personal));
  json flow = {{"id", e.stream.substr(5)}};
  MNEME_TRY(auto first, store_.ReadStream(e.stream, StreamVersion(1)));
  if (!first.empty()) {
    auto created = json::parse(first.front().data, nullptr, false);
    if (created.is_object()) {
      const json plain = created.value("plain", json::object());
      flow["kind"] = plain.value("kind", "");
      flow["type"] = plain.value("type", "");
    }
  }
  if (const auto* failed = std::get_if<domain::flow::FlowFailed>(&event)) {
    flow["method"] = failed->method;
    json ids = json::array();
    for (const auto& m : failed->messages) {
      ids.push_back(m.value("id", 0));
    }
    for (const auto& [node, list] : failed->node_messages.items()) {
      for (const auto& m : list) {
        ids.push_back(m.value("id", 0));
      }
    }
    flow["message_ids"] = ids;
  } else if (const auto* completed = std::get_if<domain::flow::FlowCompleted>(&event)) {
    flow["method"] = completed->method;
    flow["session_id"] = completed->session_id;
  } else if (const auto* sent = std::get_if<domain::flow::FlowCodeSent>(&event)) {
    flow["method"] = sent->method;  // a code or link was mailed (never shown)
  }
  item["flow"] = flow;
  return item;
}

Result<HistoryPage> AuditService::History(const std::string& id, uint64_t from_position,
                                          size_t limit) {
  if (!IsUuid(id)) {
    return MakeError(Code::kNotFound, "Unable to locate the resource");
  }
  // Read the stream in pages and decode each page on another thread while
  // the next one is read (reading and decoding are most of the time). Only
  // what the page can need is read: everything before it, `limit` more, and
  // one beyond to know where the next page starts.
  constexpr size_t kPage = 1024;
  const std::string stream = domain::identity::StreamOf(id);
  std::vector<std::shared_ptr<const std::vector<domain::EventEnvelope>>> pages;
  std::vector<std::future<Result<std::vector<DecodedEvent>>>> decoding;
  size_t total = 0;
  size_t before_page = 0;  // events before from_position
  bool more = true;
  while (more) {
    MNEME_TRY(auto page, store_.ReadStreamPage(stream, StreamVersion(total + 1), kPage));
    more = page.size() == kPage;
    for (const auto& e : page) {
      before_page += e.position.value() < from_position ? 1 : 0;
    }
    total += page.size();
    if (page.empty()) {
      break;
    }
    auto shared = std::make_shared<const std::vector<domain::EventEnvelope>>(std::move(page));
    pages.push_back(shared);
    decoding.push_back(std::async(std::launch::async, [this, shared] {
      return DecodeAll(cipher_, *shared, shared->size(), /*parallel=*/false);
    }));
    if (total > before_page + limit) {
      break;  // enough for this page and the start of the next
    }
  }
  if (total == 0) {
    return MakeError(Code::kNotFound, "Unable to locate the resource");
  }
  auto event_at = [&](size_t i) -> const domain::EventEnvelope& {
    return (*pages[i / kPage])[i % kPage];
  };
  std::vector<std::vector<DecodedEvent>> decoded_pages(pages.size());
  size_t decoded_upto = 0;  // pages whose decode was collected
  auto decoded_at = [&](size_t i) -> Result<const DecodedEvent*> {
    while (decoded_upto <= i / kPage) {
      MNEME_TRY(decoded_pages[decoded_upto], decoding[decoded_upto].get());
      ++decoded_upto;
    }
    return &decoded_pages[i / kPage][i % kPage];
  };
  // Collects every decode before returning (also on errors): no task may
  // outlive the page it reads.
  struct Join {
    std::vector<std::future<Result<std::vector<DecodedEvent>>>>& tasks;
    ~Join() {
      for (auto& t : tasks) {
        if (t.valid()) {
          t.wait();
        }
      }
    }
  } join{decoding};
  auto rows = reads_.ScanRows(projections::IdentityActivity::kName,
                              projections::IdentityActivity::Prefix(id), "", SIZE_MAX);
  // A store opened without the activity projection (tools, benchmarks) has
  // only the identity's own events to show.
  if (!rows && rows.error().code() != Code::kNotFound) {
    return tl::unexpected(rows.error());
  }
  std::vector<uint64_t> activity;
  for (const auto& [key, unused] : rows ? *rows : decltype(rows)::value_type{}) {
    activity.push_back(projections::IdentityActivity::PositionOf(key));
  }
  size_t next_activity = 0;
  HistoryPage page;
  // Activity items before `before` (exclusive), in order, into the page.
  auto flush_activity = [&](uint64_t before) -> Status {
    while (next_activity < activity.size() && activity[next_activity] < before &&
           page.next_position == 0) {
      const uint64_t pos = activity[next_activity++];
      if (pos < from_position) {
        continue;
      }
      if (page.events.size() == limit) {
        page.next_position = pos;
        break;
      }
      MNEME_TRY(auto item, ActivityItem(id, pos));
      page.events.push_back(std::move(item));
    }
    return OkStatus();
  };
  const size_t needed = std::min(total, before_page + limit);
  struct PendingItem {
    size_t slot;   // index in page.events
    size_t event;  // index in events
    json before;
    json after;
    bool erased;
  };
  std::vector<PendingItem> pending;
  Identity state;
  state.id = id;
  std::optional<json> current_view;  // AuditView(state), when rendered
  for (size_t i = 0; i < needed; ++i) {
    const auto& e = event_at(i);
    MNEME_RETURN_IF_ERROR(flush_activity(e.position.value()));
    if (page.next_position != 0) {
      break;
    }
    if (e.position.value() >= from_position && page.events.size() == limit) {
      page.next_position = e.position.value();
      break;
    }
    const bool listed = e.position.value() >= from_position;
    const auto keys = KeysChangedBy(e.type);
    // Events that need the whole view render it once: the view after one
    // event is the view before the next.
    const bool whole = NeedsWholeView(keys) && state.exists && !state.deleted;
    json before_view;
    if (listed) {
      before_view = whole && current_view ? Subset(*current_view, keys)
                                          : PartialView(identities_, state, keys);
    }
    MNEME_TRY(const DecodedEvent* d, decoded_at(i));
    Folded folded{domain::identity::Evolve(std::move(state), d->event, e.time), d->erased};
    current_view.reset();
    if (listed) {
      json after_view;
      if (!folded.erased) {
        if (NeedsWholeView(keys) && folded.state.exists && !folded.state.deleted) {
          current_view = AuditView(identities_, folded.state);
          after_view = Subset(*current_view, keys);
        } else {
          after_view = PartialView(identities_, folded.state, keys);
        }
      }
      // The item is built below, off this sequential pass; keep its place.
      pending.push_back({page.events.size(), i, std::move(before_view), std::move(after_view),
                         folded.erased});
      page.events.push_back(nullptr);
    }
    state = std::move(folded.state);
  }
  // Diffs and items, on every core.
  auto build = [&](size_t begin, size_t end) {
    for (size_t k = begin; k < end; ++k) {
      auto& p = pending[k];
      const auto& e = event_at(p.event);
      // Assigned one by one: nlohmann's initializer lists copy every value.
      json item = json::object();
      item["position"] = e.position.value();
      item["version"] = e.version.value();
      item["type"] = e.type;
      item["time"] = FormatRfc3339(e.time);
      item["actor"] = e.actor;
      item["request_id"] = e.request_id;
      if (p.erased) {
        item["erased"] = true;
        item["changes"] = nullptr;
      } else {
        item["changes"] = JsonDiff(p.before, p.after);
      }
      page.events[p.slot] = std::move(item);
    }
  };
  const size_t workers = pending.size() < 1024 ? 1 : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::future<void>> jobs;
  const size_t per = (pending.size() + workers - 1) / std::max<size_t>(workers, 1);
  for (size_t w = 1; w < workers; ++w) {
    jobs.push_back(std::async(std::launch::async, build, std::min(pending.size(), w * per),
                              std::min(pending.size(), (w + 1) * per)));
  }
  build(0, std::min(pending.size(), per));
  for (auto& j : jobs) {
    j.get();
  }
  if (page.next_position == 0 && needed < total) {
    // The page filled up before the identity's later events: activity before
    // the next of them still belongs on this page or starts the next one.
    MNEME_RETURN_IF_ERROR(flush_activity(event_at(needed).position.value()));
    if (page.next_position == 0) {
      page.next_position = event_at(needed).position.value();
    }
  }
  if (page.next_position == 0) {
    MNEME_RETURN_IF_ERROR(flush_activity(UINT64_MAX));
  }
  return page;
}

Result<json> AuditService::At(const std::string& id, domain::Timestamp at) {
  if (!IsUuid(id)) {
    return MakeError(Code::kNotFound, "Unable to locate the resource");
  }
  // Read in pages and stop at the first event after `at`.
  std::vector<domain::EventEnvelope> events;
  constexpr size_t kPage = 1024;
  while (true) {
    MNEME_TRY(auto page, store_.ReadStreamPage(domain::identity::StreamOf(id),
                                               StreamVersion(events.size() + 1), kPage));
    const bool more = page.size() == kPage;
    bool past = false;
    for (auto& e : page) {
      if (e.time > at) {
        past = true;
        break;
      }
      events.push_back(std::move(e));
    }
    if (past || !more) {
      break;
    }
  }
  const size_t count = events.size();
  MNEME_TRY(auto decoded, DecodeAll(cipher_, events, count));
  Identity state;
  state.id = events.empty() ? id : events.front().stream.substr(9);
  bool erased = false;
  for (size_t i = 0; i < count; ++i) {
    state = domain::identity::Evolve(std::move(state), decoded[i].event, events[i].time);
    erased = erased || decoded[i].erased;
  }
  if (!state.exists || state.deleted) {
    return MakeError(Code::kNotFound, "The identity did not exist at " + FormatRfc3339(at));
  }
  json doc = identities_.Render(state, {}, true);
  if (erased) {
    doc["erased"] = true;
  }
  return doc;
}

}  // namespace mneme::api
