// Loggers for the composition roots. Text or JSON lines on stderr, at the
// configured level. Library code receives a logger by reference and never
// asks spdlog for a default one.
//
// Structured fields: write messages as `event key=value key=value`; the JSON
// format turns the leading words into "msg" and each key=value into a field.
// Values must not contain spaces (quote-free by design).
#pragma once

#include <memory>
#include <string>

#include <spdlog/logger.h>

namespace mneme::infra::logging {

enum class Format { kText, kJson };

std::shared_ptr<spdlog::logger> MakeLogger(const std::string& name, const std::string& level,
                                           Format format);

}  // namespace mneme::infra::logging
