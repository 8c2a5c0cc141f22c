// Courier throughput: mails per second that standalone couriers deliver to a
// local SMTP server on loopback, with 1, 2 and 3 couriers in one consumer
// group. N courier records (courier.message.queued data sealed with the mail
// vault and keyed by message id, exactly as the relay produces them) go to a
// fresh "<prefix>.courier" topic; then, per round, a fresh group of K
// KafkaCouriers (each in its own thread with its own SmtpSender, dispatching
// like cmd/mneme-courier: MailFromRecord + SendWithRetries) works the topic
// from the beginning until all N reports are acknowledged
// (KafkaCourier::Processed()). The SMTP server is the small multi-threaded
// one below: it accepts and discards mail.
//   courier_bench --brokers HOST:PORT [--messages N] [--workers 1,2,3]
//                 [--partitions 6] [--concurrency 16] [--max-buffered 1024] [--prefix P]
//                 [--timeline]
// (--concurrency and --max-buffered: KafkaCourierOptions; the defaults are
// mneme-courier's; --timeline prints the SMTP and acknowledged counts every
// 50 ms, to see stalls.)
// Progress goes to stderr; the figures to stdout.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "domain/courier/message.h"
#include "domain/courier/templates.h"
#include "domain/event/personal_data.h"
#include "infra/courier/smtp_sender.h"
#include "infra/crypto/mail_vault.h"
#include "infra/kafka/topic_admin.h"
#include "infra/system/system.h"
#include "workers/courier/dispatcher.h"
#include "workers/courier/kafka_courier.h"

using namespace mneme;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

const char* const kCipherSecret = "bench-cipher-secret-32-character";

// A minimal SMTP server that accepts and discards mail: `threads` threads
// each accept a connection and serve its session, so that many sessions run
// at once. No TLS, no AUTH (the sender uses disable_starttls=true).
class SinkSmtpServer {
 public:
  explicit SinkSmtpServer(int threads) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd_, 1024) != 0) {
      std::perror("smtp server: bind/listen");
      std::exit(1);
    }
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] { AcceptLoop(); });
    }
  }
  ~SinkSmtpServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);  // wakes the threads blocked in accept
    for (auto& t : threads_) {
      t.join();
    }
    close(fd_);
  }
  int port() const { return port_; }
  uint64_t mails() const { return mails_.load(); }
  uint64_t sessions() const { return sessions_.load(); }

 private:
  void AcceptLoop() {
    while (!stop_) {
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) {
        if (stop_) {
          return;
        }
        continue;
      }
      int one = 1;
      setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      ++sessions_;
      Serve(c);
      close(c);
    }
  }

  static bool Reply(int c, std::string_view text) {
    return send(c, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
  }

  void Serve(int c) {
    if (!Reply(c, "220 bench ESMTP sink\r\n")) {
      return;
    }
    std::string buf;
    bool data = false;
    char chunk[16384];
    while (true) {
      const ssize_t n = recv(c, chunk, sizeof(chunk), 0);
      if (n <= 0) {
        return;
      }
      buf.append(chunk, static_cast<size_t>(n));
      while (true) {
        if (data) {
          // The body ends with CRLF.CRLF (or is empty: just ".CRLF").
          if (buf.compare(0, 3, ".\r\n") == 0) {
            buf.erase(0, 3);
          } else if (const size_t end = buf.find("\r\n.\r\n"); end != std::string::npos) {
            buf.erase(0, end + 5);
          } else {
            break;
          }
          data = false;
          ++mails_;
          if (!Reply(c, "250 2.0.0 queued\r\n")) {
            return;
          }
          continue;
        }
        const size_t eol = buf.find("\r\n");
        if (eol == std::string::npos) {
          break;
        }
        std::string line = buf.substr(0, eol);
        buf.erase(0, eol + 2);
        std::string verb = line.substr(0, 4);
        for (auto& ch : verb) {
          ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        }
        std::string_view answer;
        if (verb == "EHLO") {
          answer = "250-bench\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";
        } else if (verb == "HELO" || verb == "MAIL" || verb == "RCPT" || verb == "RSET" ||
                   verb == "NOOP") {
          answer = "250 2.0.0 ok\r\n";
        } else if (verb == "DATA") {
          data = true;
          answer = "354 go ahead\r\n";
        } else if (verb == "QUIT") {
          Reply(c, "221 2.0.0 bye\r\n");
          return;
        } else {
          answer = "502 5.5.2 not implemented\r\n";
        }
        if (!Reply(c, answer)) {
          return;
        }
      }
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> mails_{0};
  std::atomic<uint64_t> sessions_{0};
  std::vector<std::thread> threads_;
};

// Produces the N courier records as the relay would, and waits for all.
bool ProduceRecords(const std::string& brokers, const std::string& topic, int count) {
  infra::crypto::MailVault vault({kCipherSecret});
  infra::system::RandomIdGenerator ids;
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof(err));
  rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof(err));
  rd_kafka_conf_set(conf, "acks", "all", err, sizeof(err));
  rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof(err));
  static std::atomic<int> failed{0};
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++failed;
    }
  });
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (producer == nullptr) {
    std::fprintf(stderr, "producer: %s\n", err);
    return false;
  }
  const std::string type = domain::courier::MessageQueued::kType;
  for (int i = 0; i < count; ++i) {
    const std::string id = ids.NewUuid();
    const std::string code = std::to_string(100000 + (i * 7919) % 900000);
    const std::string to = "user" + std::to_string(i) + "@example.org";
    auto rendered = domain::courier::RenderMail(
        "verification_code_valid",
        {{"To", to},
         {"VerificationCode", code},
         {"VerificationURL",
          "https://auth.example.org/self-service/verification?flow=" + ids.NewUuid() + "&code=" + code},
         {"RequestURL", "https://auth.example.org/self-service/verification/browser"},
         {"TransientPayload", json::object()}},
        {});
    if (!rendered) {
      std::fprintf(stderr, "render: %s\n", rendered.error().ToString().c_str());
      return false;
    }
    // As CourierService::Queue: Decide, Encode, seal under the message stream.
    domain::courier::QueueMessage queue;
    queue.template_type = "verification_code_valid";
    queue.identity_id = ids.NewUuid();
    queue.flow_id = ids.NewUuid();
    queue.recipient = to;
    queue.subject = rendered->subject;
    queue.body = rendered->body_plaintext;
    queue.html_body = rendered->body_html;
    auto events = domain::courier::Decide(domain::courier::Message{}, queue);
    if (!events || events->size() != 1) {
      std::fprintf(stderr, "decide failed\n");
      return false;
    }
    auto enc = domain::courier::Encode(events->front());
    auto sealed = domain::SealEventData(vault, domain::courier::StreamOf(id), enc.plain, enc.personal);
    if (!sealed) {
      std::fprintf(stderr, "seal: %s\n", sealed.error().ToString().c_str());
      return false;
    }
    const std::string position = std::to_string(i + 1);
    while (true) {
      const auto e = rd_kafka_producev(
          producer, RD_KAFKA_V_TOPIC(topic.c_str()),
          RD_KAFKA_V_KEY(const_cast<char*>(id.data()), id.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(sealed->data()), sealed->size()),
          RD_KAFKA_V_HEADER("position", position.data(), static_cast<ssize_t>(position.size())),
          RD_KAFKA_V_HEADER("type", type.data(), static_cast<ssize_t>(type.size())),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
        break;
      }
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        std::fprintf(stderr, "produce: %s\n", rd_kafka_err2str(e));
        return false;
      }
      rd_kafka_poll(producer, 50);
    }
    rd_kafka_poll(producer, 0);
  }
  const auto flushed = rd_kafka_flush(producer, 60000);
  rd_kafka_destroy(producer);
  return flushed == RD_KAFKA_RESP_ERR_NO_ERROR && failed.load() == 0;
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Round {
  int workers = 0;
  double seconds = 0;        // start until all N reports acknowledged
  double first_mail = 0;     // start until the SMTP server got the first mail (group join)
  double steady_rate = 0;    // mails/s from the first mail to the last acknowledgement
  double cpu_ms_per_mail = 0;  // this process (couriers + SMTP server), user + system
  uint64_t processed = 0;
  uint64_t mails = 0;        // received by the SMTP server
  uint64_t sessions = 0;
};

Round RunRound(const std::string& brokers, const std::string& prefix, int workers, int count,
               size_t concurrency, size_t max_buffered, bool timeline, SinkSmtpServer& smtp, const std::shared_ptr<spdlog::logger>& log) {
  infra::system::SystemClock clock;
  infra::system::RandomIdGenerator ids;
  infra::crypto::MailVault vault({kCipherSecret});
  workers::courier::RetryPolicy retry;  // the defaults: 5 retries, 1 s first wait
  infra::courier::SmtpOptions smtp_options;
  smtp_options.connection_uri =
      "smtp://127.0.0.1:" + std::to_string(smtp.port()) + "/?disable_starttls=true";
  smtp_options.from_address = "no-reply@example.org";

  const std::string group = prefix + "-bench-" + std::to_string(workers) + "-" +
                            std::to_string(std::time(nullptr));
  std::vector<std::unique_ptr<infra::courier::SmtpSender>> senders;
  std::vector<std::unique_ptr<workers::courier::KafkaCourier>> couriers;
  for (int w = 0; w < workers; ++w) {
    auto sender = infra::courier::SmtpSender::Create(smtp_options, clock);
    if (!sender) {
      std::fprintf(stderr, "smtp sender: %s\n", sender.error().ToString().c_str());
      std::exit(1);
    }
    auto* s = sender->get();
    senders.push_back(std::move(*sender));
    workers::courier::KafkaCourierOptions o;
    o.brokers = brokers;
    o.topic_prefix = prefix;
    o.group_id = group;
    o.worker_id = "bench-" + std::to_string(workers) + "-" + std::to_string(w);
    o.concurrency = concurrency;
    o.max_buffered = max_buffered;
    const std::string worker = o.worker_id;
    // As cmd/mneme-courier/main.cc builds it.
    auto courier = workers::courier::KafkaCourier::Create(
        o,
        [&vault, &ids, &clock, &retry, s, worker, log](const workers::courier::CourierRecord& record) {
          return workers::courier::DispatchRecord(vault, *s, record, retry, clock, ids, worker, *log);
        },
        log);
    if (!courier) {
      std::fprintf(stderr, "courier: %s\n", courier.error().ToString().c_str());
      std::exit(1);
    }
    couriers.push_back(std::move(*courier));
  }

  const uint64_t mails_before = smtp.mails();
  const uint64_t sessions_before = smtp.sessions();
  const double cpu_before = CpuSeconds();
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const auto t0 = Clock::now();
  for (auto& c : couriers) {
    threads.emplace_back([&stop, &c] {
      if (auto s = c->Run(stop); !s) {
        std::fprintf(stderr, "courier run: %s\n", s.error().ToString().c_str());
      }
    });
  }
  auto processed = [&] {
    uint64_t n = 0;
    for (auto& c : couriers) {
      n += c->Processed();
    }
    return n;
  };
  Round r;
  r.workers = workers;
  Clock::time_point first{};
  auto last_progress = t0;
  auto last_tick = t0;
  uint64_t last_done = 0;
  const auto deadline = t0 + std::chrono::seconds(300);
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const auto now = Clock::now();
    const uint64_t done = processed();
    if (smtp.mails() > mails_before && first == Clock::time_point{}) {
      first = now;
    }
    if (done >= static_cast<uint64_t>(count) || now > deadline) {
      r.processed = done;
      r.seconds = std::chrono::duration<double>(now - t0).count();
      break;
    }
    if (timeline && now - last_tick >= std::chrono::milliseconds(50)) {
      std::fprintf(stderr, "    t=%.3f smtp=%llu acknowledged=%llu\n",
                   std::chrono::duration<double>(now - t0).count(),
                   static_cast<unsigned long long>(smtp.mails() - mails_before),
                   static_cast<unsigned long long>(done));
      last_tick = now;
    }
    if (now - last_progress >= std::chrono::seconds(1)) {
      std::ostringstream parts;
      for (auto& c : couriers) {
        parts << " " << c->worker_id() << ":" << c->Processed() << "/" << c->AssignedPartitions()
              << "p";
      }
      std::fprintf(stderr, "  workers=%d %5.1fs acknowledged %llu/%d (%.0f mails/s this second)%s\n",
                   workers, std::chrono::duration<double>(now - t0).count(),
                   static_cast<unsigned long long>(done), count,
                   static_cast<double>(done - last_done) /
                       std::chrono::duration<double>(now - last_progress).count(),
                   parts.str().c_str());
      last_progress = now;
      last_done = done;
    }
  }
  const auto end = Clock::now();
  r.cpu_ms_per_mail = (CpuSeconds() - cpu_before) * 1000 / static_cast<double>(count);
  r.first_mail = std::chrono::duration<double>(first - t0).count();
  const double steady = std::chrono::duration<double>(end - first).count();
  r.steady_rate = steady > 0 ? static_cast<double>(r.processed) / steady : 0;
  r.mails = smtp.mails() - mails_before;
  r.sessions = smtp.sessions() - sessions_before;
  stop = true;
  for (auto& t : threads) {
    t.join();
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::string brokers;
  std::string prefix = "bench" + std::to_string(std::time(nullptr)) + "x" + std::to_string(getpid());
  int count = 3000;
  int partitions = 6;
  size_t concurrency = 16;  // KafkaCourierOptions' default, as mneme-courier runs
  size_t max_buffered = workers::courier::KafkaCourierOptions{}.max_buffered;  // ditto
  std::vector<int> rounds = {1, 2, 3};
  bool timeline = false;  // --timeline: SMTP and acknowledged counts every 50 ms
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--timeline") {
      timeline = true;
      continue;
    }
    if (i + 1 >= argc) {
      break;
    }
    const std::string v = argv[++i];
    if (a == "--brokers") {
      brokers = v;
    } else if (a == "--messages") {
      count = std::stoi(v);
    } else if (a == "--partitions") {
      partitions = std::stoi(v);
    } else if (a == "--concurrency") {
      concurrency = std::stoul(v);
    } else if (a == "--max-buffered") {
      max_buffered = std::stoul(v);
    } else if (a == "--prefix") {
      prefix = v;
    } else if (a == "--workers") {
      rounds.clear();
      std::stringstream in(v);
      for (std::string item; std::getline(in, item, ',');) {
        rounds.push_back(std::stoi(item));
      }
    }
  }
  if (brokers.empty()) {
    std::fprintf(stderr,
                 "usage: courier_bench --brokers HOST:PORT [--messages N] [--workers 1,2,3] "
                 "[--partitions 6] [--concurrency 16] [--max-buffered 1024] [--prefix P] [--timeline]\n");
    return 2;
  }
  // Info lines are formatted as in production, but only warnings are shown.
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_level(spdlog::level::warn);
  auto log = std::make_shared<spdlog::logger>("courier-bench", sink);
  log->set_level(spdlog::level::info);

  infra::kafka::KafkaTopicsOptions topics;
  topics.prefix = prefix;
  topics.partitions = partitions;
  auto made = infra::kafka::EnsureTopics(brokers, infra::kafka::MnemeTopics(topics),
                                         std::chrono::seconds(30));
  if (!made) {
    std::fprintf(stderr, "topics: %s\n", made.error().ToString().c_str());
    return 1;
  }
  const std::string topic = prefix + ".courier";
  std::fprintf(stderr, "  producing %d sealed courier records to %s (%d partitions)\n", count,
               topic.c_str(), partitions);
  const auto p0 = Clock::now();
  if (!ProduceRecords(brokers, topic, count)) {
    std::fprintf(stderr, "producing the courier records failed\n");
    return 1;
  }
  std::fprintf(stderr, "  produced in %.2f s\n",
               std::chrono::duration<double>(Clock::now() - p0).count());

  SinkSmtpServer smtp(64);
  std::fprintf(stderr, "  sink SMTP server on 127.0.0.1:%d\n", smtp.port());
  // mails/s: from the couriers' start (group join included) until all N
  // reports are acknowledged; steady: from the first mail the SMTP server got.
  std::printf("%-8s %7s %8s %9s %11s %9s %10s %11s %12s %8s\n", "workers", "mails", "seconds",
              "mails/s", "per_worker", "join_s", "steady/s", "steady/wkr", "cpu_ms/mail",
              "smtp_rx");
  std::fflush(stdout);
  for (int w : rounds) {
    const Round r = RunRound(brokers, prefix, w, count, concurrency, max_buffered, timeline, smtp, log);
    const double rate = static_cast<double>(r.processed) / r.seconds;
    std::printf("%-8d %7llu %8.2f %9.0f %11.0f %9.2f %10.0f %11.0f %12.3f %8llu\n", w,
                static_cast<unsigned long long>(r.processed), r.seconds, rate, rate / w,
                r.first_mail, r.steady_rate, r.steady_rate / w, r.cpu_ms_per_mail,
                static_cast<unsigned long long>(r.mails));
    std::fflush(stdout);
    if (r.processed < static_cast<uint64_t>(count)) {
      std::fprintf(stderr, "  round with %d workers timed out\n", w);
      return 1;
    }
  }
  return 0;
}
