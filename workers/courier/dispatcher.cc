#include "workers/courier/dispatcher.h"

#include <algorithm>
#include <thread>

#include "domain/courier/message.h"

namespace mneme::workers::courier {

Result<OutgoingMail> MailFromRecord(domain::PersonalDataCipher& mail_cipher,
                                    const CourierRecord& record) {
  const std::string stream = domain::courier::StreamOf(record.message_id);
  MNEME_TRY(auto opened, domain::OpenEventData(mail_cipher, stream, record.value));
  MNEME_TRY(auto event, domain::courier::Decode(domain::courier::MessageQueued::kType,
                                                opened.plain, opened.personal));
  const auto* queued = std::get_if<domain::courier::MessageQueued>(&event);
  if (!queued || queued->recipient.empty()) {
    return MakeError(Code::kDataLoss, "the record holds no mail to send");
  }
  OutgoingMail mail;
  mail.message_id = record.message_id;
  mail.to = queued->recipient;
  mail.subject = queued->subject;
  mail.body_plaintext = queued->body;
  mail.body_html = queued->html_body;
  return mail;
}

DispatchReport SendWithRetries(MailSender& sender, const OutgoingMail& mail,
                               const RetryPolicy& policy, domain::Clock& clock,
                               domain::IdGenerator& ids, const std::string& worker) {
  DispatchReport report;
  report.message_id = mail.message_id;
  report.worker = worker;
  auto wait = policy.first_wait;
  for (int attempt = 1;; ++attempt) {
    const Status sent = sender.Send(mail);
    nlohmann::json dispatch = {{"id", ids.NewUuid()}, {"at", clock.Now().micros}};
    if (sent) {
      dispatch["status"] = domain::courier::kDispatchSuccess;
      report.dispatches.push_back(std::move(dispatch));
      report.status = domain::courier::kStatusSent;
      return report;
    }
    dispatch["status"] = domain::courier::kDispatchFailed;
    dispatch["error"] = {{"message", sent.error().message()}};
    report.dispatches.push_back(std::move(dispatch));
    // A permanent refusal (an SMTP 5xx) is not retried unchanged.
    if (attempt > policy.message_retries || sent.error().code() == Code::kInvalidArgument) {
      report.status = domain::courier::kStatusAbandoned;
      return report;
    }
    std::this_thread::sleep_for(wait);
    wait = std::min(wait * 2, policy.max_wait);
  }
}

DispatchReport DispatchRecord(domain::PersonalDataCipher& mail_cipher, MailSender& sender,
                              const CourierRecord& record, const RetryPolicy& policy,
                              domain::Clock& clock, domain::IdGenerator& ids,
                              const std::string& worker, spdlog::logger& log) {
  auto mail = MailFromRecord(mail_cipher, record);
  if (!mail) {
    log.error("courier message={} cannot be opened: {}", record.message_id,
              mail.error().message());
    DispatchReport report;
    report.message_id = record.message_id;
    report.status = domain::courier::kStatusAbandoned;
    report.worker = worker;
    report.dispatches.push_back({{"id", ids.NewUuid()},
                                 {"status", domain::courier::kDispatchFailed},
                                 {"error", {{"message", mail.error().message()}}},
                                 {"at", clock.Now().micros}});
    return report;
  }
  auto report = SendWithRetries(sender, *mail, policy, clock, ids, worker);
  log.info("courier message={} status={} attempts={}", record.message_id, report.status,
           report.dispatches.size());
  return report;
}

}  // namespace mneme::workers::courier
