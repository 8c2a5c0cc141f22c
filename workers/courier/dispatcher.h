// The standalone courier's work on one record of "<prefix>.courier": open the
// mail (the courier.message.queued data the relay produced, sealed with the
// mail vault's key derived from secrets.cipher) and send it, retrying failed
// attempts with a doubling wait until one succeeds or the attempts exceed
// courier.message_retries (Kratos abandons once send_count > message_retries);
// a permanent refusal (an SMTP 5xx, kInvalidArgument) is abandoned at once.
// Every attempt carries the same Message-ID (the message id), so a resend
// after a crash is recognisably the same mail. Thread-safe.
#pragma once

#include <chrono>
#include <string>

#include <spdlog/logger.h>

#include "domain/common/clock.h"
#include "domain/event/personal_data.h"
#include "workers/courier/kafka_courier.h"
#include "workers/courier/mail_sender.h"

namespace mneme::workers::courier {

struct RetryPolicy {
  int message_retries = 5;
  std::chrono::milliseconds first_wait{1000};  // courier.worker.pull_wait
  std::chrono::milliseconds max_wait{60000};
};

// Errors: kDataLoss (not a queued mail, or sealed under a secret this
// courier does not have).
Result<OutgoingMail> MailFromRecord(domain::PersonalDataCipher& mail_cipher,
                                    const CourierRecord& record);

// The report of sending `mail`: every attempt as a dispatch, then "sent" or
// "abandoned".
DispatchReport SendWithRetries(MailSender& sender, const OutgoingMail& mail,
                               const RetryPolicy& policy, domain::Clock& clock,
                               domain::IdGenerator& ids, const std::string& worker);

// What a standalone courier does with one record: opens the mail and sends it
// (SendWithRetries); a record that cannot be opened is abandoned with one
// failed dispatch saying why. Logs the outcome.
DispatchReport DispatchRecord(domain::PersonalDataCipher& mail_cipher, MailSender& sender,
                              const CourierRecord& record, const RetryPolicy& policy,
                              domain::Clock& clock, domain::IdGenerator& ids,
                              const std::string& worker, spdlog::logger& log);

}  // namespace mneme::workers::courier
