#include "infra/hash/hashing_pool.h"

#include <future>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace mneme::infra::hash {

HashingPool::HashingPool(domain::identity::PasswordHasher& inner, size_t threads,
                         size_t max_queue)
    : inner_(inner), max_queue_(max_queue) {
  if (threads == 0) {
    threads = std::max(1u, std::thread::hardware_concurrency());
  }
  for (size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { Work(); });
  }
}

HashingPool::~HashingPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    t.join();
  }
}

void HashingPool::Work() {
  // Linux applies nice values per thread: hashing yields to request threads.
  // Failure (e.g. a seccomp profile) only costs the priority, not correctness.
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;
      }
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

bool HashingPool::Run(const std::function<void()>& job) {
  std::promise<void> done;
  auto finished = done.get_future();
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= max_queue_ || stopping_) {
      return false;
    }
    queue_.push_back([&job, &done] {
      job();
      done.set_value();
    });
  }
  cv_.notify_one();
  finished.wait();
  return true;
}

Result<std::string> HashingPool::Hash(std::string_view password) {
  std::optional<Result<std::string>> out;
  if (!Run([&] { out = inner_.Hash(password); })) {
    return MakeError(Code::kResourceExhausted, "too many passwords are being hashed; retry later");
  }
  return std::move(*out);
}

Result<domain::identity::PasswordCheck> HashingPool::Verify(std::string_view password,
                                                            std::string_view stored_hash) {
  std::optional<Result<domain::identity::PasswordCheck>> out;
  if (!Run([&] { out = inner_.Verify(password, stored_hash); })) {
    return MakeError(Code::kResourceExhausted, "too many passwords are being checked; retry later");
  }
  return std::move(*out);
}

}  // namespace mneme::infra::hash
