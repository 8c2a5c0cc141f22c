#include "infra/logging/logging.h"

#include <chrono>
#include <ctime>

#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace mneme::infra::logging {
namespace {

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    nlohmann::json line;
    auto t = std::chrono::system_clock::to_time_t(msg.time);
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  msg.time.time_since_epoch()).count() % 1000000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    char full[64];
    std::snprintf(full, sizeof(full), "%s.%06lldZ", buf, static_cast<long long>(us));
    line["time"] = full;
    line["level"] = std::string(spdlog::level::to_string_view(msg.level).data(),
                                spdlog::level::to_string_view(msg.level).size());
    line["logger"] = std::string(msg.logger_name.data(), msg.logger_name.size());
    std::string_view text(msg.payload.data(), msg.payload.size());
    std::string message;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find(' ', pos);
      if (end == std::string_view::npos) {
        end = text.size();
      }
      std::string_view word = text.substr(pos, end - pos);
      size_t eq = word.find('=');
      if (eq != std::string_view::npos && eq > 0) {
        line[std::string(word.substr(0, eq))] = std::string(word.substr(eq + 1));
      } else if (!word.empty()) {
        if (!message.empty()) {
          message.push_back(' ');
        }
        message.append(word);
      }
      pos = end + 1;
    }
    line["msg"] = message;
    std::string out = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out.push_back('\n');
    dest.append(out.data(), out.data() + out.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

std::shared_ptr<spdlog::logger> MakeLogger(const std::string& name, const std::string& level,
                                           Format format) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>(name, sink);
  if (format == Format::kJson) {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %n %v", spdlog::pattern_time_type::utc);
  }
  std::string lvl = level;
  if (lvl == "warning") {
    lvl = "warn";
  } else if (lvl == "fatal" || lvl == "panic") {
    lvl = "critical";
  }
  logger->set_level(spdlog::level::from_str(lvl));
  logger->flush_on(spdlog::level::info);
  return logger;
}

}  // namespace mneme::infra::logging
