// HashingPool: a PasswordHasher that runs every Hash and Verify of another
// hasher on its own small pool of low-priority threads (one per core by
// default, nice +10). Password hashing is deliberately slow; on this pool it
// cannot take more than its threads' share of the CPU, and request threads
// serving whoami and reads are scheduled ahead of it. Callers block until
// their job is done.
//
// Lifecycle: the pool starts in the constructor and joins in the destructor
// (pending jobs finish first). Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "domain/identity/password_hasher.h"

namespace mneme::infra::hash {

class HashingPool final : public domain::identity::PasswordHasher {
 public:
  // `inner` must outlive the pool. threads == 0: one per core. A job arriving
  // while `max_queue` jobs wait is refused with kResourceExhausted.
  HashingPool(domain::identity::PasswordHasher& inner, size_t threads = 0,
              size_t max_queue = 4096);
  ~HashingPool() override;
  HashingPool(const HashingPool&) = delete;
  HashingPool& operator=(const HashingPool&) = delete;

  Result<std::string> Hash(std::string_view password) override;
  Result<domain::identity::PasswordCheck> Verify(std::string_view password,
                                                 std::string_view stored_hash) override;
  bool NeedsRehash(std::string_view stored_hash) const override {
    return inner_.NeedsRehash(stored_hash);
  }

 private:
  // Runs `job` on the pool and waits. false: the queue is full.
  bool Run(const std::function<void()>& job);
  void Work();

  domain::identity::PasswordHasher& inner_;
  size_t max_queue_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace mneme::infra::hash
