// MailSender: the courier's port for handing one rendered e-mail to a mail
// transport (SMTP in production: infra/courier/smtp_sender.h; a fake in
// tests). The courier decides from the returned code whether a message is
// retried or abandoned, as Kratos does in courier/smtp_channel.go: a
// permanent refusal (an SMTP 5xx reply) must not be retried unchanged.
//
// Thread-safety: implementations must allow concurrent Send calls.
#pragma once

#include <string>

#include "domain/common/result.h"

namespace mneme::workers::courier {

struct OutgoingMail {
  // The courier message's uuid; the Message-ID header is built from it, so
  // every attempt to send one message carries the same Message-ID.
  std::string message_id;
  std::string to;  // one bare address, e.g. "someone@example.org"
  std::string subject;
  std::string body_plaintext;
  std::string body_html;  // empty: the mail is plain text only
};

class MailSender {
 public:
  virtual ~MailSender() = default;

  // Delivers `mail` to the transport; blocks until the transport accepted or
  // refused it, or until a timeout.
  // Errors: kUnavailable (connection, TLS, timeouts, a transient 4xx reply,
  // a required STARTTLS the server does not offer: retry later),
  // kInvalidArgument (the mail cannot be sent as it is: a recipient or
  // message refused permanently with a 5xx reply, or a malformed recipient or
  // message id).
  virtual Status Send(const OutgoingMail& mail) = 0;
};

}  // namespace mneme::workers::courier
