// EmbeddedCourier: `mneme serve --watch-courier`, the courier in-process (no
// Kafka needed). A thread takes queued messages from the courier index,
// marks each processing, hands it to the MailSender and records the attempt;
// a failed message waits (pull_wait doubled per attempt, at most a minute)
// and is retried until courier.message_retries is exceeded (abandoned); a
// permanent refusal (an SMTP 5xx) is abandoned at once, as Kratos intends.
// New messages wake it up at once.
// Start()/Stop() (or the destructor); one instance per store.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <spdlog/logger.h>

#include "api/courier/courier_service.h"
#include "workers/courier/mail_sender.h"

namespace mneme::api {

struct EmbeddedCourierOptions {
  std::chrono::milliseconds pull_wait{1000};  // courier.worker.pull_wait
  size_t pull_count = 10;                     // courier.worker.pull_count
  std::string worker = "embedded";
};

class EmbeddedCourier {
 public:
  EmbeddedCourier(CourierService& messages, workers::courier::MailSender& sender,
                  domain::EventStore& store, domain::IdGenerator& ids,
                  EmbeddedCourierOptions options, std::shared_ptr<spdlog::logger> log);
  ~EmbeddedCourier();
  EmbeddedCourier(const EmbeddedCourier&) = delete;
  EmbeddedCourier& operator=(const EmbeddedCourier&) = delete;

  void Start();
  void Stop();

 private:
  void Run();
  // Sends one message; true when something was recorded.
  bool SendOne(const std::string& id);

  CourierService& messages_;
  workers::courier::MailSender& sender_;
  domain::EventStore& store_;
  domain::IdGenerator& ids_;
  EmbeddedCourierOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  std::map<std::string, std::chrono::steady_clock::time_point> not_before_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace mneme::api
