// Go-style durations as Kratos's config uses them ("10m", "1h30m", "500ms").
#pragma once

#include <chrono>
#include <string_view>

#include "domain/common/result.h"

namespace mneme::infra::config {

// Errors: kInvalidArgument (not a duration).
Result<std::chrono::microseconds> ParseDuration(std::string_view text);

}  // namespace mneme::infra::config
