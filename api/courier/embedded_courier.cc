#include "api/courier/embedded_courier.h"

#include <algorithm>

namespace mneme::api {

namespace courier = domain::courier;

EmbeddedCourier::EmbeddedCourier(CourierService& messages, workers::courier::MailSender& sender,
                                 domain::EventStore& store, domain::IdGenerator& ids,
                                 EmbeddedCourierOptions options,
                                 std::shared_ptr<spdlog::logger> log)
    : messages_(messages), sender_(sender), store_(store), ids_(ids),
      options_(std::move(options)), log_(std::move(log)) {}

EmbeddedCourier::~EmbeddedCourier() { Stop(); }

void EmbeddedCourier::Start() {
  if (running_.exchange(true)) {
    return;
  }
  thread_ = std::thread([this] { Run(); });
}

void EmbeddedCourier::Stop() {
  running_ = false;
  if (thread_.joinable()) {
    thread_.join();
  }
}

bool EmbeddedCourier::SendOne(const std::string& id) {
  auto processing = messages_.Execute(id, courier::StartProcessing{}, "courier:" + options_.worker);
  if (!processing) {
    log_->warn("courier message={} cannot be loaded: {}", id, processing.error().message());
    not_before_[id] = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    return false;
  }
  if (processing->status != courier::kStatusProcessing) {
    return false;  // final already
  }
  workers::courier::OutgoingMail mail;
  mail.message_id = id;
  mail.to = processing->recipient;
  mail.subject = processing->subject;
  mail.body_plaintext = processing->body;
  mail.body_html = processing->html_body;
  const Status sent = sender_.Send(mail);
  courier::RecordAttempt attempt;
  attempt.ok = sent.has_value();
  attempt.dispatch_id = ids_.NewUuid();
  attempt.worker = options_.worker;
  attempt.max_retries = messages_.message_retries();
  if (!sent) {
    attempt.error = {{"message", sent.error().message()}};
    if (sent.error().code() == Code::kInvalidArgument) {
      attempt.failure = courier::Failure::kPermanent;  // a 5xx: not retried unchanged
    }
  }
  auto after = messages_.Execute(id, attempt, "courier:" + options_.worker);
  if (!after) {
    log_->error("courier message={} attempt not recorded: {}", id, after.error().message());
    return false;
  }
  if (sent) {
    log_->info("courier message={} sent", id);
    not_before_.erase(id);
    return true;
  }
  log_->warn("courier message={} send failed attempt={} status={} error={}", id,
             after ? after->send_count : 0, after ? after->status : "?", sent.error().message());
  if (after && after->status == courier::kStatusQueued) {
    const int shift = std::min(after->send_count, 6);
    auto wait = std::min<std::chrono::milliseconds>(options_.pull_wait * (1 << shift),
                                                     std::chrono::minutes(1));
    not_before_[id] = std::chrono::steady_clock::now() + wait;
  } else {
    not_before_.erase(id);
  }
  return true;
}

void EmbeddedCourier::Run() {
  log_->info("embedded courier started worker={}", options_.worker);
  while (running_) {
    const auto head = store_.Head();
    auto pending = messages_.Pending(options_.pull_count + not_before_.size());
    bool worked = false;
    if (!pending) {
      log_->error("courier queue unreadable: {}", pending.error().message());
    } else {
      const auto now = std::chrono::steady_clock::now();
      size_t taken = 0;
      for (const auto& id : *pending) {
        if (!running_ || taken >= options_.pull_count) {
          break;
        }
        auto it = not_before_.find(id);
        if (it != not_before_.end() && now < it->second) {
          continue;
        }
        ++taken;
        worked = SendOne(id) || worked;
      }
    }
    if (!worked && running_) {
      // New appends (a queued mail) wake us; otherwise look again after pull_wait.
      store_.WaitForPosition(head, std::min<std::chrono::milliseconds>(options_.pull_wait,
                                                                         std::chrono::milliseconds(500)));
    }
  }
  log_->info("embedded courier stopped");
}

}  // namespace mneme::api
