// Password login throughput, and the hasher's own ceiling on the same cores:
//   login_bench hasher [--threads T] [--seconds S]
//     bcrypt cost-12 verifications per second with T threads, in-process
//   login_bench login PUBLIC_URL --identifier E --password P [--connections C] [--seconds S]
//     native logins per second against `mneme serve` (GET /self-service/login/api,
//     then POST /self-service/login), C in flight
// Each prints one line "<what>: <rate>/s" and progress every second.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "infra/hash/hasher.h"

using Clock = std::chrono::steady_clock;

namespace {

// bcrypt cost 12 of "correct horse battery staple" (see identity_bench.cc).
constexpr const char* kHash = "$2b$12$abcdefghijklmnopqrstuu0sDWleciW5uGBGYwxpcgAsh9WK4bWNy";

template <typename F>
double RunFor(size_t threads, double seconds, const char* what, F&& one) {
  std::atomic<size_t> done{0}, failed{0};
  std::atomic<bool> stop{false};
  const auto t0 = Clock::now();
  std::vector<std::thread> pool;
  for (size_t i = 0; i < threads; ++i) {
    pool.emplace_back([&, i] {
      auto state = one.Prepare(i);
      while (!stop.load()) {
        if (one.Do(state)) {
          done.fetch_add(1);
        } else {
          failed.fetch_add(1);
        }
      }
    });
  }
  for (int s = 1; s <= static_cast<int>(seconds); ++s) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    std::fprintf(stderr, "\r%s: %zu done, %zu failed after %d s", what, done.load(), failed.load(), s);
  }
  stop = true;
  for (auto& t : pool) {
    t.join();
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  std::fprintf(stderr, "\n");
  if (failed.load() > 0) {
    std::fprintf(stderr, "%zu attempts failed\n", failed.load());
  }
  return static_cast<double>(done.load()) / elapsed;
}

struct HasherJob {
  mneme::infra::hash::Hasher* hasher;
  int Prepare(size_t) { return 0; }
  bool Do(int&) {
    auto r = hasher->Verify("correct horse battery staple", kHash);
    return r && *r == mneme::domain::identity::PasswordCheck::kMatch;
  }
};

struct LoginJob {
  std::string url, identifier, password;
  std::unique_ptr<httplib::Client> Prepare(size_t) {
    auto c = std::make_unique<httplib::Client>(url);
    c->set_keep_alive(true);
    c->set_read_timeout(60);
    return c;
  }
  bool Do(std::unique_ptr<httplib::Client>& c) {
    auto flow = c->Get("/self-service/login/api");
    if (!flow || flow->status != 200) {
      return false;
    }
    const std::string id = nlohmann::json::parse(flow->body)["id"];
    nlohmann::json body = {{"method", "password"}, {"identifier", identifier}, {"password", password}};
    auto r = c->Post("/self-service/login?flow=" + id, body.dump(), "application/json");
    return r && r->status == 200;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: login_bench hasher|login ...\n");
    return 2;
  }
  const std::string mode = argv[1];
  size_t threads = std::max(1u, std::thread::hardware_concurrency());
  double seconds = 10;
  std::string url, identifier, password;
  int first = mode == "login" ? 3 : 2;
  if (mode == "login" && argc > 2) {
    url = argv[2];
  }
  for (int i = first; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--threads" || a == "--connections") threads = std::stoul(argv[i + 1]);
    if (a == "--seconds") seconds = std::stod(argv[i + 1]);
    if (a == "--identifier") identifier = argv[i + 1];
    if (a == "--password") password = argv[i + 1];
  }
  if (mode == "hasher") {
    mneme::infra::hash::HasherConfig config;
    config.bcrypt_cost = 12;
    auto hasher = mneme::infra::hash::Hasher::Create(config);
    HasherJob job{hasher->get()};
    const double rate = RunFor(threads, seconds, "bcrypt-12 verifications", job);
    std::printf("hasher: %.1f verifications/s with %zu threads\n", rate, threads);
    return 0;
  }
  if (mode == "login" && !url.empty()) {
    LoginJob job{url, identifier, password};
    const double rate = RunFor(threads, seconds, "logins", job);
    std::printf("login: %.1f logins/s with %zu connections\n", rate, threads);
    return 0;
  }
  std::fprintf(stderr, "usage: login_bench hasher|login ...\n");
  return 2;
}
