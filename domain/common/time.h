// RFC 3339 formatting and parsing of Timestamps (UTC, microseconds), as
// Kratos renders times ("2024-01-02T03:04:05.123456Z"). Pure.
#pragma once

#include <string>
#include <string_view>

#include "domain/common/result.h"
#include "domain/event/event.h"

namespace mneme {

std::string FormatRfc3339(domain::Timestamp t);
// Accepts "Z" or "+hh:mm" offsets and 0-9 fractional digits.
// Errors: kInvalidArgument.
Result<domain::Timestamp> ParseRfc3339(std::string_view text);

}  // namespace mneme
