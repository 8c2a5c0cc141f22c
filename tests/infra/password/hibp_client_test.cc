#include "infra/password/hibp_client.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include <cryptopp/sha.h>
#include <httplib.h>

#include "tests/support/fake_clock.h"
#include "tests/support/test_support.h"

namespace mneme::infra::password {
namespace {

using ::mneme::testing::HasCode;
using ::mneme::testing::IsOk;

using ::mneme::testing::FakeClock;

std::string Sha1Hex(std::string_view s) {
  CryptoPP::byte digest[CryptoPP::SHA1::DIGESTSIZE];
  CryptoPP::SHA1().CalculateDigest(digest, reinterpret_cast<const CryptoPP::byte*>(s.data()),
                                   s.size());
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string hex;
  for (CryptoPP::byte b : digest) {
    hex += kHex[b >> 4];
    hex += kHex[b & 0xF];
  }
  return hex;
}
std::string Prefix(std::string_view pw) { return Sha1Hex(pw).substr(0, 5); }
std::string Suffix(std::string_view pw) { return Sha1Hex(pw).substr(5); }

// A range endpoint on 127.0.0.1:<any port> that answers what the test set.
class HibpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get(R"(/range/([0-9A-Fa-f]+))", [this](const httplib::Request& req,
                                                   httplib::Response& res) {
      ++requests_;
      std::string body;
      int status = 0;
      std::chrono::milliseconds delay{0};
      {
        std::lock_guard<std::mutex> lock(mu_);
        last_path_ = req.path;
        last_user_agent_ = req.get_header_value("User-Agent");
        last_padding_ = req.get_header_value("Add-Padding");
        body = body_;
        status = status_;
        delay = delay_;
      }
      std::this_thread::sleep_for(delay);
      res.status = status;
      res.set_content(body, "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 500 && !server_.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  void TearDown() override {
    server_.stop();
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  void Serve(int status, std::string body, std::chrono::milliseconds delay = {}) {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = status;
    body_ = std::move(body);
    delay_ = delay;
  }

  std::unique_ptr<HibpClient> Client(std::chrono::milliseconds timeout = std::chrono::seconds(2)) {
    HibpOptions options;
    options.host = "http://127.0.0.1:" + std::to_string(port_);
    options.timeout = timeout;
    auto client = HibpClient::Create(options, clock_);
    EXPECT_THAT(client, IsOk());
    return client ? std::move(*client) : nullptr;
  }

  FakeClock clock_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::mutex mu_;
  int status_ = 200;
  std::string body_;
  std::chrono::milliseconds delay_{0};
  std::string last_path_, last_user_agent_, last_padding_;
};

TEST_F(HibpClientTest, ReturnsTheCountOfTheMatchingSuffix) {
  const std::string pw = "password123456";
  Serve(200, "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n" + Suffix(pw) + ":3,912\r\n" +
                 "00D4F6E8FA6EECAD2A3AA415EEC418D38EC:0\r\n");
  auto client = Client();
  auto count = client->Count(pw);
  ASSERT_THAT(count, IsOk());
  EXPECT_EQ(*count, 3912);
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_EQ(last_path_, "/range/" + Prefix(pw));
  EXPECT_EQ(last_user_agent_, "mneme");
  EXPECT_EQ(last_padding_, "true");
}

TEST_F(HibpClientTest, SuffixMatchesCaseInsensitively) {
  std::string suffix = Suffix("hunter2");
  for (char& c : suffix) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  Serve(200, suffix + ":17\n");
  EXPECT_EQ(Client()->Count("hunter2").value(), 17);
}

TEST_F(HibpClientTest, AbsentSuffixIsZero) {
  Serve(200, "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n00D4F6E8FA6EECAD2A3AA415EEC418D38EC:2\r\n");
  auto count = Client()->Count("c0rrect-h0rse-battery-staple-9241");
  ASSERT_THAT(count, IsOk());
  EXPECT_EQ(*count, 0);
}

TEST_F(HibpClientTest, MissingCountIsOne) {
  Serve(200, "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n" + Suffix("no-count") + "\r\n");
  EXPECT_EQ(Client()->Count("no-count").value(), 1);
  Serve(200, Suffix("empty-count") + ":\r\n");
  EXPECT_EQ(Client()->Count("empty-count").value(), 1);
}

TEST_F(HibpClientTest, UnparseableCountIsUnavailable) {
  Serve(200, Suffix("garbage") + ":lots\r\n");
  EXPECT_THAT(Client()->Count("garbage"), HasCode(Code::kUnavailable));
}

TEST_F(HibpClientTest, ServerErrorIsUnavailable) {
  Serve(500, "oops");
  EXPECT_THAT(Client()->Count("anything-at-all"), HasCode(Code::kUnavailable));
}

TEST_F(HibpClientTest, TimeoutIsUnavailable) {
  Serve(200, Suffix("slow") + ":5\r\n", std::chrono::milliseconds(1500));
  auto client = Client(std::chrono::milliseconds(200));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(client->Count("slow"), HasCode(Code::kUnavailable));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
}

TEST_F(HibpClientTest, ConnectionRefusedIsUnavailable) {
  HibpOptions options;
  options.host = "http://127.0.0.1:" + std::to_string(::mneme::testing::FreePort());
  auto client = HibpClient::Create(options, clock_);
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT((*client)->Count("anything-at-all"), HasCode(Code::kUnavailable));
}

TEST_F(HibpClientTest, CachesCountsForTheTtl) {
  Serve(200, Suffix("cached") + ":9\r\n");
  auto client = Client();
  EXPECT_EQ(client->Count("cached").value(), 9);
  EXPECT_EQ(client->Count("cached").value(), 9);
  EXPECT_EQ(requests_.load(), 1);
  clock_.Advance(std::chrono::seconds(3599));
  EXPECT_EQ(client->Count("cached").value(), 9);
  EXPECT_EQ(requests_.load(), 1);
  clock_.Advance(std::chrono::seconds(2));  // past the default ttl of 3600 s
  EXPECT_EQ(client->Count("cached").value(), 9);
  EXPECT_EQ(requests_.load(), 2);
}

TEST_F(HibpClientTest, ErrorsAreNotCached) {
  Serve(500, "");
  auto client = Client();
  EXPECT_THAT(client->Count("retry-me"), HasCode(Code::kUnavailable));
  Serve(200, Suffix("retry-me") + ":4\r\n");
  EXPECT_EQ(client->Count("retry-me").value(), 4);
  EXPECT_EQ(requests_.load(), 2);
}

TEST_F(HibpClientTest, ConcurrentLookups) {
  Serve(200, Suffix("shared") + ":2\r\n");
  auto client = Client();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 5; ++j) {
        if (client->Count("shared").value_or(-1) == 2) {
          ++ok;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(ok.load(), 40);
}

TEST(HibpClientCreateTest, RejectsBadHosts) {
  FakeClock clock;
  HibpOptions options;
  options.host = "ftp://example.com";
  EXPECT_THAT(HibpClient::Create(options, clock), HasCode(Code::kInvalidArgument));
  options.host = "";
  EXPECT_THAT(HibpClient::Create(options, clock), HasCode(Code::kInvalidArgument));
  options.host = "api.pwnedpasswords.com/ x";
  EXPECT_THAT(HibpClient::Create(options, clock), HasCode(Code::kInvalidArgument));
  options.host = "api.pwnedpasswords.com";
  options.timeout = std::chrono::milliseconds(0);
  EXPECT_THAT(HibpClient::Create(options, clock), HasCode(Code::kInvalidArgument));
  options.timeout = std::chrono::milliseconds(1000);
  EXPECT_THAT(HibpClient::Create(options, clock), IsOk());
}

}  // namespace
}  // namespace mneme::infra::password
