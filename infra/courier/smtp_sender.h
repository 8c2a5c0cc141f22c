// SmtpSender: the courier's MailSender over SMTP with libcurl, configured the
// way Kratos configures its courier (courier/smtp.go, courier.smtp.*):
//
//   smtp://user:pass@host:port/             STARTTLS, required: a server that
//                                           does not offer it gets no mail
//   smtp://host:port/?disable_starttls=true clear text
//   smtps://user:pass@host:port/            implicit TLS (RFC 8314)
//   query: skip_ssl_verify=true             no certificate or name check
//          server_name=mail.example.org     the TLS name (SNI and certificate)
//
// User and password come percent-decoded from the URI's userinfo. Boolean
// query values are read like Go's strconv.ParseBool, and a value it does not
// accept counts as false, as in Kratos. Without a port, 25 (smtp) or 465
// (smtps) is used. Credentials are offered with CRAM-MD5, PLAIN or LOGIN
// (libcurl prefers them in that order, as gomail does), and only when the
// server advertises AUTH. Like Go's net/smtp, no reusable password goes out
// in the clear: over a clear connection to a host other than "localhost",
// "127.0.0.1" or "::1" only CRAM-MD5 is offered, and a server without it
// gets no mail (kUnavailable). Kratos would still use LOGIN there when the
// server offers LOGIN but not PLAIN.
//
// Divergence from Kratos: with disable_starttls=true Kratos (gomail's
// default opportunistic policy) still upgrades when the server offers
// STARTTLS; mneme never does, so the option means what it says.
//
// Each Send opens one connection (EHLO <local_name>, STARTTLS, AUTH, MAIL,
// RCPT, DATA, QUIT) and uploads a MIME message built by BuildMimeMessage:
// Date, From, To, Subject, Message-ID, MIME-Version, the configured headers,
// then text/plain (and text/html as multipart/alternative) in UTF-8 with
// quoted-printable transfer encoding and CRLF line endings. libcurl does the
// SMTP dot-stuffing of lines that start with '.'.
//
// Lifecycle: built by Create; the Clock must outlive the sender.
// Thread-safety: Send may be called concurrently (one libcurl easy handle
// per call; the sender's state is immutable after Create).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "domain/common/clock.h"
#include "domain/common/result.h"
#include "domain/event/event.h"
#include "workers/courier/mail_sender.h"

namespace mneme::infra::courier {

struct SmtpOptions {
  // courier.smtp.connection_uri, e.g. "smtps://user:pass@mail.example.org:465/".
  std::string connection_uri;
  // courier.smtp.from_address: the envelope sender and the From address.
  std::string from_address = "no-reply@ory.kratos.sh";
  // courier.smtp.from_name: the display name in From; empty for none.
  std::string from_name;
  // courier.smtp.headers: extra header fields. One named like a generated
  // field (Date, From, To, Subject, Message-ID; any case) replaces it;
  // MIME-Version, Content-Type and Content-Transfer-Encoding cannot be set.
  std::map<std::string, std::string> headers;
  // courier.smtp.local_name: the EHLO name; empty means "localhost".
  std::string local_name = "localhost";
  // The whole session, connection included; must be positive.
  std::chrono::milliseconds timeout{10000};
  // The right-hand side of Message-ID; empty: the domain of from_address
  // (or "localhost" if that domain is not plain ASCII).
  std::string message_id_domain;
};

enum class SmtpTransportSecurity {
  kStartTls,     // smtp://, STARTTLS required
  kImplicitTls,  // smtps://
  kNone,         // smtp://...?disable_starttls=true
};

enum class TlsVerification { kVerify, kSkip };

// courier.smtp.connection_uri taken apart.
struct SmtpEndpoint {
  SmtpTransportSecurity security = SmtpTransportSecurity::kStartTls;
  std::string host;  // an IPv6 literal without its brackets
  int port = 0;
  std::string username;  // percent-decoded; empty: no AUTH
  std::string password;  // percent-decoded; a secret, never put in messages
  TlsVerification verification = TlsVerification::kVerify;
  std::string server_name;  // the name TLS checks; the host unless server_name=
};

// Errors: kInvalidArgument (a scheme other than smtp or smtps, no host, a bad
// port, a malformed percent escape or character in the userinfo, spaces or
// control characters anywhere, a server_name that is not a host name).
Result<SmtpEndpoint> ParseSmtpUri(std::string_view uri);

// The message as uploaded after DATA (before dot-stuffing), CRLF line
// endings throughout. Pure and deterministic: the same inputs give the same
// bytes, and the Message-ID depends only on mail.message_id and the options.
// Errors: kInvalidArgument (a malformed recipient, message id, from address,
// header name or value, or message_id_domain).
Result<std::string> BuildMimeMessage(const SmtpOptions& options,
                                     const workers::courier::OutgoingMail& mail,
                                     domain::Timestamp now);

class SmtpSender final : public workers::courier::MailSender {
 public:
  // Validates everything it can before the first mail: the URI, the from
  // address, headers, local name and timeout.
  // Errors: kInvalidArgument (see ParseSmtpUri and BuildMimeMessage, a local
  // name that is not a host name or address literal, a timeout that is not
  // positive), kInternal (libcurl failed to initialise).
  static Result<std::unique_ptr<SmtpSender>> Create(SmtpOptions options,
                                                    const domain::Clock& clock);
  ~SmtpSender() override;
  SmtpSender(const SmtpSender&) = delete;
  SmtpSender& operator=(const SmtpSender&) = delete;
  SmtpSender(SmtpSender&&) = delete;
  SmtpSender& operator=(SmtpSender&&) = delete;

  // Errors: kInvalidArgument (BuildMimeMessage refused the mail; the server
  // answered 5xx: a refused sender, recipient, message or credentials, which
  // Kratos abandons too), kUnavailable (connection refused, DNS, TLS,
  // timeout, STARTTLS required but not offered, no acceptable AUTH
  // mechanism, a 4xx reply).
  Status Send(const workers::courier::OutgoingMail& mail) override;

 private:
  SmtpSender(SmtpOptions options, SmtpEndpoint endpoint, const domain::Clock& clock);

  const SmtpOptions options_;
  const SmtpEndpoint endpoint_;
  const std::string url_;         // smtp[s]://<name>:<port>/<local_name>
  const std::string connect_to_;  // "" or name:port:host:port (server_name != host)
  const std::string auth_options_;  // CURLOPT_LOGIN_OPTIONS
  const std::string server_label_;  // host:port, for error messages
  const domain::Clock& clock_;
};

}  // namespace mneme::infra::courier
