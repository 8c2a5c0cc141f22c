// SmtpSender against a small real SMTP server in the test (FakeSmtpServer:
// loopback, port 0, one thread, one session at a time). It speaks EHLO/HELO,
// advertises STARTTLS and AUTH when told to (STARTTLS is refused with 454:
// there is no TLS here), AUTH PLAIN and LOGIN, MAIL/RCPT/DATA/RSET/NOOP/QUIT,
// answers RCPT, AUTH and the end of DATA with the code the test sets, undoes
// dot-stuffing, and records every session. Also: URI parsing, option
// validation and the MIME builder as pure functions.
#include "infra/courier/smtp_sender.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "infra/hash/base64.h"
#include "tests/support/fake_clock.h"
#include "tests/support/test_support.h"

namespace mneme::infra::courier {
namespace {

using ::mneme::testing::FakeClock;
using ::mneme::testing::HasCode;
using ::mneme::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using workers::courier::OutgoingMail;

constexpr const char* kMessageId = "3b7c2a52-4a1e-4c57-9f6e-1f1e0c1d2e3f";

// ---- The fake server ----

struct SmtpSession {
  std::string greeting_name;            // the EHLO/HELO argument
  std::vector<std::string> commands;    // command lines, AUTH exchanges included
  bool starttls_requested = false;
  std::string auth_mechanism;
  std::string auth_username;
  std::string auth_password;
  std::string mail_from;
  std::vector<std::string> recipients;  // accepted or not
  bool data_started = false;            // DATA answered 354
  std::optional<std::string> data;      // the message, dot-stuffing undone
};

struct FakeSmtpBehavior {
  bool offer_starttls = false;
  std::string auth_mechanisms = "PLAIN LOGIN";  // empty: no AUTH extension
  int auth_reply = 235;
  int rcpt_reply = 250;
  int data_reply = 250;  // after the final "."
};

std::string ReplyText(int code) {
  switch (code) {
    case 235:
      return "2.7.0 Authentication successful";
    case 250:
      return "2.0.0 OK";
    case 451:
      return "4.3.0 Mailbox temporarily unavailable, try again later";
    case 535:
      return "5.7.8 Authentication credentials invalid";
    case 550:
      return "5.1.1 No such user here";
    case 554:
      return "5.6.0 Message refused";
    default:
      return "whatever";
  }
}

class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}

  // The next CRLF-terminated line without its CRLF; nullopt at EOF or after
  // the socket's receive timeout.
  std::optional<std::string> ReadLine() {
    while (true) {
      const size_t end = buffer_.find("\r\n");
      if (end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 2);
        return line;
      }
      char chunk[4096];
      const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) {
        return std::nullopt;
      }
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buffer_;
};

std::string Base64Decode(std::string_view text) {
  auto decoded = hash::DecodeBase64(text, hash::Base64Padding::kPadded);
  return decoded ? *decoded : std::string("<bad base64>");
}

std::string Base64Encode(std::string_view bytes) {
  return hash::EncodeBase64(bytes, hash::Base64Padding::kPadded);
}

class FakeSmtpServer {
 public:
  explicit FakeSmtpServer(FakeSmtpBehavior behavior, std::string address = "127.0.0.1")
      : behavior_(std::move(behavior)), address_(std::move(address)) {}

  ~FakeSmtpServer() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
    if (listen_fd_ >= 0) {
      close(listen_fd_);
    }
  }
  FakeSmtpServer(const FakeSmtpServer&) = delete;
  FakeSmtpServer& operator=(const FakeSmtpServer&) = delete;

  // Binds address_:0 and starts serving; false if the socket calls failed.
  bool Start() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (listen_fd_ < 0) {
      return false;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    if (inet_pton(AF_INET, address_.c_str(), &addr.sin_addr) != 1 ||
        bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(listen_fd_, 16) != 0) {
      return false;
    }
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Run(); });
    return true;
  }

  int port() const { return port_; }
  const std::string& address() const { return address_; }

  // The sessions that have ended, once there are at least `n` (or after 5 s).
  std::vector<SmtpSession> WaitForSessions(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(5), [&] { return sessions_.size() >= n; });
    return sessions_;
  }

 private:
  void Run() {
    while (!stop_) {
      pollfd pfd{listen_fd_, POLLIN, 0};
      if (poll(&pfd, 1, 20) <= 0) {
        continue;
      }
      const int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) {
        continue;
      }
      timeval tv{5, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      SmtpSession session = Serve(fd);
      close(fd);
      {
        std::lock_guard<std::mutex> lock(mu_);
        sessions_.push_back(std::move(session));
      }
      cv_.notify_all();
    }
  }

  static void Reply(int fd, const std::string& text) {
    send(fd, text.data(), text.size(), MSG_NOSIGNAL);
  }
  static void Reply(int fd, int code) {
    Reply(fd, std::to_string(code) + " " + ReplyText(code) + "\r\n");
  }

  static std::string Path(std::string_view arg) {
    const size_t open = arg.find('<');
    const size_t close = arg.find('>', open);
    if (open == std::string_view::npos || close == std::string_view::npos) {
      return std::string(arg);
    }
    return std::string(arg.substr(open + 1, close - open - 1));
  }

  SmtpSession Serve(int fd) {
    SmtpSession s;
    LineReader reader(fd);
    auto read_logged = [&]() {
      std::optional<std::string> line = reader.ReadLine();
      if (line) {
        s.commands.push_back(*line);
      }
      return line;
    };
    Reply(fd, "220 fake.test ESMTP ready\r\n");
    while (std::optional<std::string> line = read_logged()) {
      const size_t space = line->find(' ');
      std::string verb = line->substr(0, space);
      for (char& c : verb) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      const std::string arg = space == std::string::npos ? "" : line->substr(space + 1);
      if (verb == "EHLO") {
        s.greeting_name = arg;
        std::vector<std::string> lines = {"fake.test greets " + arg};
        if (behavior_.offer_starttls) {
          lines.push_back("STARTTLS");
        }
        if (!behavior_.auth_mechanisms.empty()) {
          lines.push_back("AUTH " + behavior_.auth_mechanisms);
        }
        lines.push_back("8BITMIME");
        std::string reply;
        for (size_t i = 0; i < lines.size(); ++i) {
          reply += "250" + std::string(i + 1 < lines.size() ? "-" : " ") + lines[i] + "\r\n";
        }
        Reply(fd, reply);
      } else if (verb == "HELO") {
        s.greeting_name = arg;
        Reply(fd, "250 fake.test\r\n");
      } else if (verb == "STARTTLS") {
        s.starttls_requested = true;
        Reply(fd, behavior_.offer_starttls ? "454 4.7.0 TLS not available here\r\n"
                                           : "502 5.5.1 STARTTLS not offered\r\n");
      } else if (verb == "AUTH") {
        if (!Authenticate(fd, arg, s, read_logged)) {
          break;
        }
      } else if (verb == "MAIL") {
        s.mail_from = Path(arg);
        Reply(fd, 250);
      } else if (verb == "RCPT") {
        s.recipients.push_back(Path(arg));
        Reply(fd, behavior_.rcpt_reply);
      } else if (verb == "DATA") {
        s.data_started = true;
        Reply(fd, "354 End data with <CR><LF>.<CR><LF>\r\n");
        std::string data;
        bool terminated = false;
        while (std::optional<std::string> data_line = reader.ReadLine()) {
          if (*data_line == ".") {
            terminated = true;
            break;
          }
          if (!data_line->empty() && data_line->front() == '.') {
            data_line->erase(0, 1);  // RFC 5321 4.5.2
          }
          data += *data_line + "\r\n";
        }
        if (!terminated) {
          break;
        }
        s.data = std::move(data);
        Reply(fd, behavior_.data_reply);
      } else if (verb == "RSET" || verb == "NOOP") {
        Reply(fd, 250);
      } else if (verb == "QUIT") {
        Reply(fd, "221 2.0.0 Bye\r\n");
        break;
      } else {
        Reply(fd, "502 5.5.2 Command not recognized\r\n");
      }
    }
    return s;
  }

  template <typename ReadFn>
  bool Authenticate(int fd, const std::string& arg, SmtpSession& s, ReadFn& read_logged) {
    const size_t space = arg.find(' ');
    s.auth_mechanism = arg.substr(0, space);
    std::optional<std::string> initial;
    if (space != std::string::npos) {
      initial = arg.substr(space + 1);
    }
    if (s.auth_mechanism == "PLAIN") {
      if (!initial) {
        Reply(fd, "334 \r\n");
        initial = read_logged();
        if (!initial) {
          return false;
        }
      }
      // authzid NUL authcid NUL passwd
      const std::string decoded = Base64Decode(*initial);
      const size_t first = decoded.find('\0');
      const size_t second = decoded.find('\0', first + 1);
      if (first == std::string::npos || second == std::string::npos) {
        Reply(fd, "501 5.5.2 Bad PLAIN response\r\n");
        return true;
      }
      s.auth_username = decoded.substr(first + 1, second - first - 1);
      s.auth_password = decoded.substr(second + 1);
    } else if (s.auth_mechanism == "LOGIN") {
      if (!initial) {
        Reply(fd, "334 " + Base64Encode("Username:") + "\r\n");
        initial = read_logged();
        if (!initial) {
          return false;
        }
      }
      s.auth_username = Base64Decode(*initial);
      Reply(fd, "334 " + Base64Encode("Password:") + "\r\n");
      std::optional<std::string> password = read_logged();
      if (!password) {
        return false;
      }
      s.auth_password = Base64Decode(*password);
    } else {
      Reply(fd, "504 5.5.4 Unrecognized authentication type\r\n");
      return true;
    }
    Reply(fd, behavior_.auth_reply);
    return true;
  }

  const FakeSmtpBehavior behavior_;
  const std::string address_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<SmtpSession> sessions_;  // guarded by mu_
};

// ---- Reading what arrived ----

struct Header {
  std::string name;
  std::string value;  // unfolded, raw
};

struct ParsedMessage {
  std::vector<Header> headers;
  std::string body;
};

ParsedMessage ParseMessage(std::string_view text) {
  ParsedMessage m;
  const size_t end = text.find("\r\n\r\n");
  const std::string_view head = text.substr(0, end);
  m.body = end == std::string_view::npos ? "" : std::string(text.substr(end + 4));
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= head.size()) {
    const size_t next = head.find("\r\n", start);
    const std::string_view line = head.substr(start, next - start);
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t') && !lines.empty()) {
      lines.back() += std::string(line);  // unfold: drop the CRLF, keep the space
    } else {
      lines.emplace_back(line);
    }
    if (next == std::string_view::npos) {
      break;
    }
    start = next + 2;
  }
  for (const std::string& line : lines) {
    const size_t colon = line.find(':');
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') {
      value.erase(0, 1);
    }
    m.headers.push_back({line.substr(0, colon), value});
  }
  return m;
}

std::string HeaderValue(const ParsedMessage& m, std::string_view name) {
  for (const Header& h : m.headers) {
    if (h.name == name) {
      return h.value;
    }
  }
  return "<missing " + std::string(name) + ">";
}

int HeaderCount(const ParsedMessage& m, std::string_view name) {
  int n = 0;
  for (const Header& h : m.headers) {
    n += h.name == name ? 1 : 0;
  }
  return n;
}

// RFC 2047: "=?UTF-8?B?...?=" words decoded; whitespace between two adjacent
// encoded-words dropped.
std::string DecodeWords(std::string_view value) {
  std::string out;
  std::string pending_space;
  bool previous_was_word = false;
  size_t i = 0;
  while (i < value.size()) {
    if (value.substr(i, 10) == "=?UTF-8?B?") {
      const size_t close = value.find("?=", i + 10);
      if (!previous_was_word) {
        out += pending_space;
      }
      pending_space.clear();
      out += Base64Decode(value.substr(i + 10, close - i - 10));
      i = close + 2;
      previous_was_word = true;
    } else if (value[i] == ' ' || value[i] == '\t') {
      pending_space += value[i++];
    } else {
      out += pending_space;
      pending_space.clear();
      out += value[i++];
      previous_was_word = false;
    }
  }
  return out + pending_space;
}

std::string DecodeQuotedPrintable(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '=' && text.substr(i + 1, 2) == "\r\n") {
      i += 2;  // soft line break
    } else if (text[i] == '=' && i + 2 < text.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string Crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\r\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// The parts of a multipart body (headers and content each).
std::vector<ParsedMessage> SplitMultipart(const ParsedMessage& m) {
  const std::string content_type = HeaderValue(m, "Content-Type");
  const size_t b = content_type.find("boundary=\"");
  if (b == std::string::npos) {
    return {};
  }
  const size_t start = b + std::strlen("boundary=\"");
  const std::string boundary = content_type.substr(start, content_type.find('"', start) - start);
  const std::string delimiter = "--" + boundary;
  std::vector<ParsedMessage> parts;
  size_t pos = m.body.find(delimiter);
  while (pos != std::string::npos) {
    const size_t content_start = pos + delimiter.size();
    if (m.body.compare(content_start, 2, "--") == 0) {
      break;  // close delimiter
    }
    const size_t next = m.body.find("\r\n" + delimiter, content_start);
    if (next == std::string::npos) {
      break;
    }
    // Skip the CRLF after the delimiter line; the CRLF before the next
    // delimiter belongs to it.
    parts.push_back(ParseMessage(m.body.substr(content_start + 2, next - content_start - 2)));
    pos = next + 2;
  }
  return parts;
}

// ---- Fixture ----

class SmtpSenderTest : public ::testing::Test {
 protected:
  // Starts a server; returns "smtp://127.0.0.1:<port>/" + suffix.
  std::string StartServer(FakeSmtpBehavior behavior, const std::string& uri_suffix,
                          const std::string& userinfo = "") {
    server_ = std::make_unique<FakeSmtpServer>(std::move(behavior));
    EXPECT_TRUE(server_->Start());
    return "smtp://" + userinfo + "127.0.0.1:" + std::to_string(server_->port()) + "/" +
           uri_suffix;
  }

  std::unique_ptr<SmtpSender> MakeSender(SmtpOptions options) {
    auto sender = SmtpSender::Create(std::move(options), clock_);
    EXPECT_THAT(sender, IsOk());
    return sender ? std::move(*sender) : nullptr;
  }

  static SmtpOptions Options(std::string uri) {
    SmtpOptions options;
    options.connection_uri = std::move(uri);
    options.from_address = "courier@example.org";
    options.timeout = std::chrono::milliseconds(5000);
    return options;
  }

  static OutgoingMail Mail() {
    OutgoingMail mail;
    mail.message_id = kMessageId;
    mail.to = "someone@example.com";
    mail.subject = "Please verify your email address";
    mail.body_plaintext = "Hi, please verify your account by clicking the following link:\n"
                          "http://127.0.0.1:4455/verify?code=123456\n";
    mail.body_html = "<p>Hi, please verify your account by clicking the following link:</p>\n"
                     "<a href=\"http://127.0.0.1:4455/verify?code=123456\">verify</a>\n";
    return mail;
  }

  FakeClock clock_;
  std::unique_ptr<FakeSmtpServer> server_;
};

// ---- Delivery ----

TEST_F(SmtpSenderTest, DeliversMultipartMailWithEnvelopeAndHeaders) {
  SmtpOptions options = Options(StartServer({}, "?disable_starttls=true"));
  options.from_name = "Ory Kratos";
  options.local_name = "mneme.test";
  options.headers = {{"X-Mailer", "mneme"}, {"X-Tenant", "Bärenstark GmbH"}};
  auto sender = MakeSender(options);
  ASSERT_NE(sender, nullptr);

  OutgoingMail mail = Mail();
  mail.subject = "Bitte bestätigen Sie Ihre E-Mail-Adresse – ein recht langer Betreff, "
                 "der auf mehrere Zeilen gefaltet werden muss ✉";
  mail.body_plaintext = "Grüße!\nBitte bestätigen: http://127.0.0.1:4455/verify?code=123456\n";
  mail.body_html = "<p>Grüße! <a href=\"http://127.0.0.1:4455/verify?code=123456\">Bestätigen</a></p>\n";
  ASSERT_THAT(sender->Send(mail), IsOk());

  const std::vector<SmtpSession> sessions = server_->WaitForSessions(1);
  ASSERT_EQ(sessions.size(), 1u);
  const SmtpSession& s = sessions[0];
  EXPECT_EQ(s.greeting_name, "mneme.test");
  EXPECT_EQ(s.mail_from, "courier@example.org");
  EXPECT_THAT(s.recipients, ElementsAre("someone@example.com"));
  EXPECT_THAT(s.auth_mechanism, IsEmpty()) << "no credentials in the URI";
  EXPECT_FALSE(s.starttls_requested);
  ASSERT_TRUE(s.data.has_value());

  const ParsedMessage m = ParseMessage(*s.data);
  EXPECT_EQ(HeaderValue(m, "From"), "\"Ory Kratos\" <courier@example.org>");
  EXPECT_EQ(HeaderValue(m, "To"), "someone@example.com");
  EXPECT_EQ(DecodeWords(HeaderValue(m, "Subject")), mail.subject);
  EXPECT_THAT(HeaderValue(m, "Subject"), HasSubstr("=?UTF-8?B?"));
  EXPECT_EQ(HeaderValue(m, "Message-ID"), std::string("<") + kMessageId + "@example.org>");
  EXPECT_EQ(HeaderValue(m, "Date"), "Tue, 14 Nov 2023 22:13:20 +0000");  // FakeClock's start
  EXPECT_EQ(HeaderValue(m, "MIME-Version"), "1.0");
  EXPECT_EQ(HeaderValue(m, "X-Mailer"), "mneme");
  EXPECT_EQ(DecodeWords(HeaderValue(m, "X-Tenant")), "Bärenstark GmbH");
  EXPECT_THAT(HeaderValue(m, "Content-Type"), HasSubstr("multipart/alternative;"));

  const std::vector<ParsedMessage> parts = SplitMultipart(m);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(HeaderValue(parts[0], "Content-Type"), "text/plain; charset=UTF-8");
  EXPECT_EQ(HeaderValue(parts[0], "Content-Transfer-Encoding"), "quoted-printable");
  EXPECT_EQ(DecodeQuotedPrintable(parts[0].body), Crlf(mail.body_plaintext));
  EXPECT_EQ(HeaderValue(parts[1], "Content-Type"), "text/html; charset=UTF-8");
  EXPECT_EQ(HeaderValue(parts[1], "Content-Transfer-Encoding"), "quoted-printable");
  EXPECT_EQ(DecodeQuotedPrintable(parts[1].body), Crlf(mail.body_html));

  // 7-bit, CRLF only, no line over 78 characters.
  std::istringstream lines(*s.data);
  for (std::string line; std::getline(lines, line);) {
    ASSERT_FALSE(line.empty()) << "bare LF";
    EXPECT_EQ(line.back(), '\r');
    EXPECT_LE(line.size(), 79u) << line;
    for (char c : line) {
      EXPECT_LT(static_cast<unsigned char>(c), 0x80) << line;
    }
  }
  EXPECT_EQ(s.commands.back(), "QUIT");
}

TEST_F(SmtpSenderTest, PlaintextOnlyMailIsOneTextPart) {
  auto sender = MakeSender(Options(StartServer({}, "?disable_starttls=true")));
  ASSERT_NE(sender, nullptr);
  OutgoingMail mail = Mail();
  mail.body_html.clear();
  mail.body_plaintext = "Your code is 123456";  // no final line break
  ASSERT_THAT(sender->Send(mail), IsOk());

  const std::vector<SmtpSession> sessions = server_->WaitForSessions(1);
  ASSERT_EQ(sessions.size(), 1u);
  ASSERT_TRUE(sessions[0].data.has_value());
  const ParsedMessage m = ParseMessage(*sessions[0].data);
  EXPECT_EQ(HeaderValue(m, "From"), "courier@example.org");
  EXPECT_EQ(HeaderValue(m, "Content-Type"), "text/plain; charset=UTF-8");
  EXPECT_EQ(HeaderValue(m, "Content-Transfer-Encoding"), "quoted-printable");
  EXPECT_EQ(DecodeQuotedPrintable(m.body), "Your code is 123456\r\n");
}

TEST_F(SmtpSenderTest, LinesStartingWithADotArriveIntact) {
  auto sender = MakeSender(Options(StartServer({}, "?disable_starttls=true")));
  ASSERT_NE(sender, nullptr);
  OutgoingMail mail = Mail();
  mail.body_plaintext = ".\n.hidden line\n..two dots\nQUIT\nend\n";
  mail.body_html = ".\n<p>html</p>\n";
  ASSERT_THAT(sender->Send(mail), IsOk());

  const std::vector<SmtpSession> sessions = server_->WaitForSessions(1);
  ASSERT_EQ(sessions.size(), 1u);
  const SmtpSession& s = sessions[0];
  ASSERT_TRUE(s.data.has_value());
  // Had a lone "." ended DATA early, the rest would have come as commands.
  EXPECT_THAT(s.commands, ElementsAre(HasSubstr("EHLO"), HasSubstr("MAIL FROM"),
                                      HasSubstr("RCPT TO"), "DATA", "QUIT"));
  const std::vector<ParsedMessage> parts = SplitMultipart(ParseMessage(*s.data));
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(DecodeQuotedPrintable(parts[0].body), Crlf(mail.body_plaintext));
  EXPECT_EQ(DecodeQuotedPrintable(parts[1].body), Crlf(mail.body_html));
}

TEST_F(SmtpSenderTest, MessageIdIsStableForOneMessageAcrossAttempts) {
  SmtpOptions options = Options(StartServer({}, "?disable_starttls=true"));
  options.message_id_domain = "mail.mneme.test";
  auto sender = MakeSender(options);
  ASSERT_NE(sender, nullptr);
  ASSERT_THAT(sender->Send(Mail()), IsOk());
  clock_.Advance(std::chrono::minutes(5));
  ASSERT_THAT(sender->Send(Mail()), IsOk());
  OutgoingMail other = Mail();
  other.message_id = "0f9a4a3e-1111-4222-8333-944455556666";
  ASSERT_THAT(sender->Send(other), IsOk());

  const std::vector<SmtpSession> sessions = server_->WaitForSessions(3);
  ASSERT_EQ(sessions.size(), 3u);
  const ParsedMessage first = ParseMessage(sessions[0].data.value_or(""));
  const ParsedMessage retry = ParseMessage(sessions[1].data.value_or(""));
  const ParsedMessage third = ParseMessage(sessions[2].data.value_or(""));
  EXPECT_EQ(HeaderValue(first, "Message-ID"),
            std::string("<") + kMessageId + "@mail.mneme.test>");
  EXPECT_EQ(HeaderValue(retry, "Message-ID"), HeaderValue(first, "Message-ID"));
  EXPECT_NE(HeaderValue(retry, "Date"), HeaderValue(first, "Date"));
  EXPECT_EQ(HeaderValue(third, "Message-ID"),
            "<0f9a4a3e-1111-4222-8333-944455556666@mail.mneme.test>");
}

// ---- Authentication ----

TEST_F(SmtpSenderTest, CredentialsFromTheUriReachAuthPlainPercentDecoded) {
  auto sender = MakeSender(
      Options(StartServer({}, "?disable_starttls=true", "us%40er:p%3Ass%20w%2Ford@")));
  ASSERT_NE(sender, nullptr);
  ASSERT_THAT(sender->Send(Mail()), IsOk());

  const std::vector<SmtpSession> sessions = server_->WaitForSessions(1);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].auth_mechanism, "PLAIN");
  EXPECT_EQ(sessions[0].auth_username, "us@er");
  EXPECT_EQ(sessions[0].auth_password, "p:ss w/ord");
  EXPECT_TRUE(sessions[0].data.has_value());
}

TEST_F(SmtpSenderTest, AuthLoginWhenTheServerOffersOnlyLogin) {
  FakeSmtpBehavior behavior;
  behavior.auth_mechanisms = "LOGIN";
  auto sender = MakeSender(Options(StartServer(behavior, "?disable_starttls=true", "kratos:secret@")));
  ASSERT_NE(sender, nullptr);
  ASSERT_THAT(sender->Send(Mail()), IsOk());

  const std::vector<SmtpSession> sessions = server_->WaitForSessions(1);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].auth_mechanism, "LOGIN");
  EXPECT_EQ(sessions[0].auth_username, "kratos");
  EXPECT_EQ(sessions[0].auth_password, "secret");
  EXPECT_TRUE(sessions[0].data.has_value());
}

TEST_F(SmtpSenderTest, RejectedCredentialsAreAbandonedLikeAny5xx) {
  FakeSmtpBehavior behavior;
  behavior.auth_reply = 535;
  auto sender = MakeSender(Options(StartServer(behavior, "?disable_starttls=true", "kratos:wrong@")));
  ASSERT_NE(sender, nullptr);
  EXPECT_THAT(sender->Send(Mail()), HasCode(Code::kInvalidArgument));

  const std::vector<SmtpSession> sessions = server_->WaitForSessions(1);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_THAT(sessions[0].mail_from, IsEmpty());
  EXPECT_FALSE(sessions[0].data_started);
}

TEST_F(SmtpSenderTest, NoPasswordInTheClearToAHostOtherThanLocalhost) {
  // 127.0.0.2 is loopback too, but not one of the names Go's net/smtp lets
  // PLAIN go to in the clear.
  FakeSmtpServer server({}, "127.0.0.2");
  ASSERT_TRUE(server.Start()) << "127.0.0.0/8 is all loopback on Linux: 127.0.0.2 must bind";
  auto sender = MakeSender(Options("smtp://kratos:secret@127.0.0.2:" +
                                   std::to_string(server.port()) + "/?disable_starttls=true"));
  ASSERT_NE(sender, nullptr);
  EXPECT_THAT(sender->Send(Mail()), HasCode(Code::kUnavailable));

  const std::vector<SmtpSession> sessions = server.WaitForSessions(1);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_THAT(sessions[0].auth_mechanism, IsEmpty());
  for (const std::string& command : sessions[0].commands) {
    EXPECT_THAT(command, Not(HasSubstr("AUTH")));
  }
  EXPECT_FALSE(sessions[0].data_started);
}

// ---- TLS policy ----

TEST_F(SmtpSenderTest, DisableStarttlsSendsInTheClearEvenWhenStarttlsIsOffered) {
  FakeSmtpBehavior behavior;
  behavior.offer_starttls = true;
  auto sender = MakeSender(Options(StartServer(behavior, "?disable_starttls=true")));
  ASSERT_NE(sender, nullptr);
  ASSERT_THAT(sender->Send(Mail()), IsOk());

  const std::vector<SmtpSession> sessions = server_->WaitForSessions(1);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_FALSE(sessions[0].starttls_requested);
  EXPECT_TRUE(sessions[0].data.has_value());
}

TEST_F(SmtpSenderTest, StarttlsIsRequiredByDefaultAndNothingGoesOutInTheClear) {
  auto sender = MakeSender(Options(StartServer({}, "", "kratos:secret@")));
  ASSERT_NE(sender, nullptr);
  EXPECT_THAT(sender->Send(Mail()), HasCode(Code::kUnavailable));

  const std::vector<SmtpSession> sessions = server_->WaitForSessions(1);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_THAT(sessions[0].auth_mechanism, IsEmpty());
  EXPECT_THAT(sessions[0].mail_from, IsEmpty());
  EXPECT_FALSE(sessions[0].data_started);
}

TEST_F(SmtpSenderTest, StarttlsIsAttemptedWhenOfferedAndItsFailureIsTransient) {
  FakeSmtpBehavior behavior;
  behavior.offer_starttls = true;  // the fake answers STARTTLS with 454
  auto sender = MakeSender(Options(StartServer(behavior, "")));
  ASSERT_NE(sender, nullptr);
  EXPECT_THAT(sender->Send(Mail()), HasCode(Code::kUnavailable));

  const std::vector<SmtpSession> sessions = server_->WaitForSessions(1);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_TRUE(sessions[0].starttls_requested);
  EXPECT_THAT(sessions[0].mail_from, IsEmpty());
  EXPECT_FALSE(sessions[0].data_started);
}

// ---- Error mapping ----

TEST_F(SmtpSenderTest, RecipientRefusedPermanentlyIsInvalidArgument) {
  FakeSmtpBehavior behavior;
  behavior.rcpt_reply = 550;
  auto sender = MakeSender(Options(StartServer(behavior, "?disable_starttls=true")));
  ASSERT_NE(sender, nullptr);
  const Status status = sender->Send(Mail());
  EXPECT_THAT(status, HasCode(Code::kInvalidArgument));
  EXPECT_THAT(status.error().message(), HasSubstr("550"));

  const std::vector<SmtpSession> sessions = server_->WaitForSessions(1);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_THAT(sessions[0].recipients, ElementsAre("someone@example.com"));
  EXPECT_FALSE(sessions[0].data_started);
}

TEST_F(SmtpSenderTest, RecipientRefusedTransientlyIsUnavailable) {
  FakeSmtpBehavior behavior;
  behavior.rcpt_reply = 451;
  auto sender = MakeSender(Options(StartServer(behavior, "?disable_starttls=true")));
  ASSERT_NE(sender, nullptr);
  const Status status = sender->Send(Mail());
  EXPECT_THAT(status, HasCode(Code::kUnavailable));
  EXPECT_THAT(status.error().message(), HasSubstr("451"));

  const std::vector<SmtpSession> sessions = server_->WaitForSessions(1);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_FALSE(sessions[0].data_started);
}

TEST_F(SmtpSenderTest, MessageRefusedAfterDataIsInvalidArgument) {
  FakeSmtpBehavior behavior;
  behavior.data_reply = 554;
  auto sender = MakeSender(Options(StartServer(behavior, "?disable_starttls=true")));
  ASSERT_NE(sender, nullptr);
  EXPECT_THAT(sender->Send(Mail()), HasCode(Code::kInvalidArgument));
}

TEST_F(SmtpSenderTest, ConnectionRefusedIsUnavailable) {
  const int port = ::mneme::testing::FreePort();  // bound, then released
  auto sender = MakeSender(
      Options("smtp://127.0.0.1:" + std::to_string(port) + "/?disable_starttls=true"));
  ASSERT_NE(sender, nullptr);
  EXPECT_THAT(sender->Send(Mail()), HasCode(Code::kUnavailable));
}

TEST_F(SmtpSenderTest, SilentServerTimesOutAsUnavailable) {
  // A socket that listens but never greets: the kernel completes the
  // handshake, the server never speaks.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);

  SmtpOptions options = Options("smtp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) +
                                "/?disable_starttls=true");
  options.timeout = std::chrono::milliseconds(300);
  auto sender = MakeSender(options);
  ASSERT_NE(sender, nullptr);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(sender->Send(Mail()), HasCode(Code::kUnavailable));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  close(fd);
}

TEST_F(SmtpSenderTest, MalformedRecipientIsRefusedBeforeConnecting) {
  auto sender = MakeSender(Options(StartServer({}, "?disable_starttls=true")));
  ASSERT_NE(sender, nullptr);
  OutgoingMail mail = Mail();
  mail.to = "victim@example.com>\r\nRCPT TO:<other@example.com";
  EXPECT_THAT(sender->Send(mail), HasCode(Code::kInvalidArgument));
  mail.to = "";
  EXPECT_THAT(sender->Send(mail), HasCode(Code::kInvalidArgument));
  EXPECT_THAT(server_->WaitForSessions(0), IsEmpty());
}

TEST_F(SmtpSenderTest, ConcurrentSendsEachUseTheirOwnConnection) {
  auto sender = MakeSender(Options(StartServer({}, "?disable_starttls=true")));
  ASSERT_NE(sender, nullptr);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2; ++i) {
        OutgoingMail mail = Mail();
        mail.to = "user" + std::to_string(t * 2 + i) + "@example.com";
        if (sender->Send(mail)) {
          ++ok;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(server_->WaitForSessions(8).size(), 8u);
}

// ---- Configuration ----

TEST(ParseSmtpUriTest, SchemesSelectTheTransportSecurity) {
  auto starttls = ParseSmtpUri("smtp://mail.example.org:587/");
  ASSERT_THAT(starttls, IsOk());
  EXPECT_EQ(starttls->security, SmtpTransportSecurity::kStartTls);
  EXPECT_EQ(starttls->host, "mail.example.org");
  EXPECT_EQ(starttls->port, 587);
  EXPECT_EQ(starttls->server_name, "mail.example.org");
  EXPECT_EQ(starttls->verification, TlsVerification::kVerify);
  EXPECT_THAT(starttls->username, IsEmpty());

  auto implicit = ParseSmtpUri("smtps://mail.example.org");
  ASSERT_THAT(implicit, IsOk());
  EXPECT_EQ(implicit->security, SmtpTransportSecurity::kImplicitTls);
  EXPECT_EQ(implicit->port, 465);

  auto plain = ParseSmtpUri("smtp://mailslurper:1025/?disable_starttls=true");
  ASSERT_THAT(plain, IsOk());
  EXPECT_EQ(plain->security, SmtpTransportSecurity::kNone);

  auto default_port = ParseSmtpUri("smtp://mail.example.org");
  ASSERT_THAT(default_port, IsOk());
  EXPECT_EQ(default_port->port, 25);
}

TEST(ParseSmtpUriTest, BooleansReadLikeGoParseBoolAndUnknownValuesAreFalse) {
  for (const char* yes : {"true", "1", "t", "T", "TRUE", "True"}) {
    auto e = ParseSmtpUri(std::string("smtp://h:25/?disable_starttls=") + yes);
    ASSERT_THAT(e, IsOk());
    EXPECT_EQ(e->security, SmtpTransportSecurity::kNone) << yes;
  }
  for (const char* no : {"false", "0", "yes", "on", ""}) {
    auto e = ParseSmtpUri(std::string("smtp://h:25/?disable_starttls=") + no);
    ASSERT_THAT(e, IsOk());
    EXPECT_EQ(e->security, SmtpTransportSecurity::kStartTls) << no;
  }
  // disable_starttls means nothing for implicit TLS.
  auto smtps = ParseSmtpUri("smtps://h:465/?disable_starttls=true");
  ASSERT_THAT(smtps, IsOk());
  EXPECT_EQ(smtps->security, SmtpTransportSecurity::kImplicitTls);

  auto skip = ParseSmtpUri("smtps://h:465/?skip_ssl_verify=true&server_name=mx.example.org");
  ASSERT_THAT(skip, IsOk());
  EXPECT_EQ(skip->verification, TlsVerification::kSkip);
  EXPECT_EQ(skip->server_name, "mx.example.org");
  EXPECT_EQ(skip->host, "h");
}

TEST(ParseSmtpUriTest, UserinfoIsPercentDecodedAndIpv6HostsAreUnbracketed) {
  auto e = ParseSmtpUri("smtp://me%40example.org:p%40ss%3Aw0rd%25@[::1]:2525/?x=1");
  ASSERT_THAT(e, IsOk());
  EXPECT_EQ(e->username, "me@example.org");
  EXPECT_EQ(e->password, "p@ss:w0rd%");
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 2525);

  auto user_only = ParseSmtpUri("smtp://apikey@h:25");
  ASSERT_THAT(user_only, IsOk());
  EXPECT_EQ(user_only->username, "apikey");
  EXPECT_THAT(user_only->password, IsEmpty());

  // Go's net/url splits at the last '@' and lets an unescaped '@' through.
  auto at_in_user = ParseSmtpUri("smtp://a@b:c@h:25");
  ASSERT_THAT(at_in_user, IsOk());
  EXPECT_EQ(at_in_user->username, "a@b");
  EXPECT_EQ(at_in_user->password, "c");
  EXPECT_EQ(at_in_user->host, "h");

  EXPECT_THAT(ParseSmtpUri("smtp://us\"er:pw@h:25"), HasCode(Code::kInvalidArgument));
}

TEST(ParseSmtpUriTest, MalformedUrisAreInvalidArguments) {
  for (const char* uri :
       {"", "mail.example.org:25", "http://mail.example.org/", "smtpx://h:25", "smtp:/h:25",
        "smtp://", "smtp://:25", "smtp://h:0", "smtp://h:65536", "smtp://h:2x5",
        "smtp://us%zzer:pw@h:25", "smtp://user:p%4@h:25", "smtp://h :25", "smtp://h:25/\r\n",
        "smtp://[::1:25", "smtp://[not-v6]:25", "smtp://h/?server_name=bad%20name",
        "smtp://ho$t:25"}) {
    EXPECT_THAT(ParseSmtpUri(uri), HasCode(Code::kInvalidArgument)) << uri;
  }
}

TEST(SmtpSenderCreateTest, RefusesBadConfiguration) {
  FakeClock clock;
  auto with = [](auto mutate) {
    SmtpOptions o;
    o.connection_uri = "smtp://mail.example.org:587/";
    mutate(o);
    return o;
  };
  EXPECT_THAT(SmtpSender::Create(with([](SmtpOptions& o) { o.connection_uri = "http://x/"; }),
                                 clock),
              HasCode(Code::kInvalidArgument));
  EXPECT_THAT(SmtpSender::Create(with([](SmtpOptions& o) { o.connection_uri = ""; }), clock),
              HasCode(Code::kInvalidArgument));
  EXPECT_THAT(
      SmtpSender::Create(with([](SmtpOptions& o) { o.headers["Content-Type"] = "text/x"; }),
                         clock),
      HasCode(Code::kInvalidArgument));
  EXPECT_THAT(
      SmtpSender::Create(with([](SmtpOptions& o) { o.headers["X-A"] = "a\r\nBcc: x@y"; }), clock),
      HasCode(Code::kInvalidArgument));
  EXPECT_THAT(SmtpSender::Create(with([](SmtpOptions& o) { o.headers["Bad Name"] = "v"; }), clock),
              HasCode(Code::kInvalidArgument));
  EXPECT_THAT(SmtpSender::Create(with([](SmtpOptions& o) { o.from_address = "a b@c"; }), clock),
              HasCode(Code::kInvalidArgument));
  EXPECT_THAT(SmtpSender::Create(with([](SmtpOptions& o) { o.from_name = "x\ny"; }), clock),
              HasCode(Code::kInvalidArgument));
  EXPECT_THAT(SmtpSender::Create(with([](SmtpOptions& o) { o.local_name = "bad name"; }), clock),
              HasCode(Code::kInvalidArgument));
  EXPECT_THAT(
      SmtpSender::Create(with([](SmtpOptions& o) { o.message_id_domain = "a b"; }), clock),
      HasCode(Code::kInvalidArgument));
  EXPECT_THAT(SmtpSender::Create(with([](SmtpOptions& o) { o.timeout = {}; }), clock),
              HasCode(Code::kInvalidArgument));
  EXPECT_THAT(SmtpSender::Create(with([](SmtpOptions& o) { o.local_name = "[127.0.0.1]"; }),
                                 clock),
              IsOk());
  EXPECT_THAT(SmtpSender::Create(with([](SmtpOptions&) {}), clock), IsOk());
}

// ---- The MIME builder ----

class BuildMimeMessageTest : public ::testing::Test {
 protected:
  static SmtpOptions Options() {
    SmtpOptions o;
    o.connection_uri = "smtp://h:25/";
    return o;
  }
  static OutgoingMail Mail() {
    OutgoingMail mail;
    mail.message_id = kMessageId;
    mail.to = "someone@example.com";
    mail.subject = "Recover access to your account";
    mail.body_plaintext = "Hi\n";
    return mail;
  }
  static constexpr domain::Timestamp kNow{1'700'000'000'123'456};
};

TEST_F(BuildMimeMessageTest, IsDeterministicWithKratosDefaults) {
  auto a = BuildMimeMessage(Options(), Mail(), kNow);
  auto b = BuildMimeMessage(Options(), Mail(), kNow);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*a,
            "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
            "From: no-reply@ory.kratos.sh\r\n"
            "To: someone@example.com\r\n"
            "Subject: Recover access to your account\r\n"
            "Message-ID: <3b7c2a52-4a1e-4c57-9f6e-1f1e0c1d2e3f@ory.kratos.sh>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n"
            "\r\n"
            "Hi\r\n");
}

TEST_F(BuildMimeMessageTest, NonAsciiFromNameAndSubjectAreEncodedWordsOfAtMost75Chars) {
  SmtpOptions options = Options();
  options.from_name = "Jürgen \"JJ\" Müller";
  OutgoingMail mail = Mail();
  mail.subject = std::string(40, 'x') + " — " + "日本語の件名がとても長い場合にも正しく折り返されること";
  auto text = BuildMimeMessage(options, mail, kNow);
  ASSERT_THAT(text, IsOk());
  const ParsedMessage m = ParseMessage(*text);
  EXPECT_EQ(DecodeWords(HeaderValue(m, "From")), "Jürgen \"JJ\" Müller <no-reply@ory.kratos.sh>");
  EXPECT_EQ(DecodeWords(HeaderValue(m, "Subject")), mail.subject);
  for (size_t pos = text->find("=?"); pos != std::string::npos; pos = text->find("=?", pos + 1)) {
    const size_t end = text->find("?=", pos + 10);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end + 2 - pos, 75u);
    pos = end;
  }
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_LE(line.size(), 77u) << line;  // 76 + '\r'
  }
}

TEST_F(BuildMimeMessageTest, AsciiFromNameIsQuotedAndEscaped) {
  SmtpOptions options = Options();
  options.from_name = "Ory \"Kratos\" \\ Team";
  auto text = BuildMimeMessage(options, Mail(), kNow);
  ASSERT_THAT(text, IsOk());
  EXPECT_EQ(HeaderValue(ParseMessage(*text), "From"),
            "\"Ory \\\"Kratos\\\" \\\\ Team\" <no-reply@ory.kratos.sh>");
}

TEST_F(BuildMimeMessageTest, LongAsciiSubjectIsFoldedAtSpaces) {
  OutgoingMail mail = Mail();
  for (int i = 0; i < 30; ++i) {
    mail.subject += "word" + std::to_string(i) + " ";
  }
  mail.subject += "end";
  auto text = BuildMimeMessage(Options(), mail, kNow);
  ASSERT_THAT(text, IsOk());
  EXPECT_THAT(*text, HasSubstr("\r\n word"));
  EXPECT_EQ(HeaderValue(ParseMessage(*text), "Subject"), mail.subject);
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_LE(line.size(), 79u) << line;
  }
}

TEST_F(BuildMimeMessageTest, LineBreaksInTheSubjectCannotInjectHeaders) {
  OutgoingMail mail = Mail();
  mail.subject = "Hello\r\nBcc: attacker@example.net";
  auto text = BuildMimeMessage(Options(), mail, kNow);
  ASSERT_THAT(text, IsOk());
  const ParsedMessage m = ParseMessage(*text);
  EXPECT_EQ(HeaderCount(m, "Bcc"), 0);
  EXPECT_EQ(DecodeWords(HeaderValue(m, "Subject")), mail.subject);
}

TEST_F(BuildMimeMessageTest, ConfiguredHeadersReplaceGeneratedOnesOfTheSameName) {
  SmtpOptions options = Options();
  options.headers = {{"subject", "Fixed subject"}, {"X-SES-CONFIGURATION-SET", "kratos"}};
  options.message_id_domain = "ids.example.org";
  auto text = BuildMimeMessage(options, Mail(), kNow);
  ASSERT_THAT(text, IsOk());
  const ParsedMessage m = ParseMessage(*text);
  EXPECT_EQ(HeaderValue(m, "Subject"), "Fixed subject");  // in the generated field's place
  EXPECT_EQ(HeaderCount(m, "Subject"), 1);
  EXPECT_EQ(HeaderCount(m, "subject"), 0);
  EXPECT_EQ(HeaderValue(m, "X-SES-CONFIGURATION-SET"), "kratos");
  EXPECT_EQ(HeaderValue(m, "Message-ID"), std::string("<") + kMessageId + "@ids.example.org>");
}

TEST_F(BuildMimeMessageTest, QuotedPrintableKeepsLinesShortAndTrailingSpacesVisible) {
  OutgoingMail mail = Mail();
  mail.body_plaintext = std::string(200, 'a') + " \n= sign\ttab\t\nlast";
  mail.body_html = "<p>x</p>";
  auto text = BuildMimeMessage(Options(), mail, kNow);
  ASSERT_THAT(text, IsOk());
  const std::vector<ParsedMessage> parts = SplitMultipart(ParseMessage(*text));
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_THAT(parts[0].body, HasSubstr("=20\r\n=3D sign\ttab=09\r\nlast"));
  EXPECT_EQ(DecodeQuotedPrintable(parts[0].body), Crlf(mail.body_plaintext));
  EXPECT_EQ(DecodeQuotedPrintable(parts[1].body), "<p>x</p>");
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_LE(line.size(), 77u) << line;
  }
}

TEST_F(BuildMimeMessageTest, RefusesMalformedRecipientsAndMessageIds) {
  OutgoingMail mail = Mail();
  mail.to = "a@example.com\r\nBcc: b@example.com";
  EXPECT_THAT(BuildMimeMessage(Options(), mail, kNow), HasCode(Code::kInvalidArgument));
  mail.to = "Someone <a@example.com>";
  EXPECT_THAT(BuildMimeMessage(Options(), mail, kNow), HasCode(Code::kInvalidArgument));
  mail = Mail();
  mail.message_id = "x>\r\nBcc: b@example.com";
  EXPECT_THAT(BuildMimeMessage(Options(), mail, kNow), HasCode(Code::kInvalidArgument));
  mail.message_id = "";
  EXPECT_THAT(BuildMimeMessage(Options(), mail, kNow), HasCode(Code::kInvalidArgument));
}

}  // namespace
}  // namespace mneme::infra::courier
