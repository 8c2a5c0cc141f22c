// Identity import and read throughput against a running `mneme serve`:
//   identity_bench import ADMIN_URL [--count N] [--batch B] [--connections C]
// imports N identities with pre-hashed bcrypt passwords through
// PATCH /admin/identities (B per request, C requests in flight) and prints
// identities/s with progress; prints the id of one imported identity last.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc < 3 || std::string(argv[1]) != "import") {
    std::fprintf(stderr, "usage: identity_bench import ADMIN_URL [--count N] [--batch B] [--connections C]\n");
    return 2;
  }
  std::string url = argv[2];
  size_t count = 100000, batch = 1000, connections = 4;
  for (int i = 3; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--count") count = std::stoul(argv[i + 1]);
    if (a == "--batch") batch = std::stoul(argv[i + 1]);
    if (a == "--connections") connections = std::stoul(argv[i + 1]);
  }
  // bcrypt (cost 12) of "correct horse battery staple", made once with
  // python3 -c "import crypt; print(crypt.crypt('correct horse battery staple',
  // '$2b$12$abcdefghijklmnopqrstuu'))"; import stores it without hashing.
  const std::string hash = "$2b$12$abcdefghijklmnopqrstuu0sDWleciW5uGBGYwxpcgAsh9WK4bWNy";
  std::atomic<size_t> next{0}, done{0}, failed{0};
  std::string last_id;
  std::mutex last_mu;
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (size_t c = 0; c < connections; ++c) {
    threads.emplace_back([&] {
      httplib::Client client(url);
      client.set_read_timeout(300);
      client.set_keep_alive(true);
      for (size_t start = next.fetch_add(batch); start < count; start = next.fetch_add(batch)) {
        nlohmann::json body = {{"identities", nlohmann::json::array()}};
        for (size_t i = start; i < std::min(count, start + batch); ++i) {
          body["identities"].push_back(
              {{"create", {{"schema_id", "default"},
                           {"traits", {{"email", "bench-" + std::to_string(i) + "@example.com"}}},
                           {"credentials", {{"password", {{"config", {{"hashed_password", hash}}}}}}}}}});
        }
        auto r = client.Patch("/admin/identities", body.dump(), "application/json");
        if (!r || r->status != 200) {
          std::fprintf(stderr, "batch failed: %s\n", r ? r->body.c_str() : "no answer");
          std::exit(1);
        }
        auto res = nlohmann::json::parse(r->body);
        for (const auto& item : res["identities"]) {
          if (item["action"] == "create") {
            std::lock_guard lock(last_mu);
            last_id = item["identity"];
          } else {
            ++failed;
          }
        }
        size_t d = done.fetch_add(std::min(count, start + batch) - start) + std::min(count, start + batch) - start;
        std::fprintf(stderr, "\r  imported %zu/%zu", d, count);
      }
    });
  }
  for (auto& t : threads) t.join();
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::fprintf(stderr, "\n");
  std::printf("imported %zu identities in %.2f s: %.0f identities/s (%zu failed)\n", count, s,
              count / s, failed.load());
  std::printf("%s\n", last_id.c_str());
  return failed == 0 ? 0 : 1;
}
