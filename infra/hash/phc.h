// Helpers for the `$`-separated, PHC-like strings of Kratos's hash formats:
// splitting into fields and reading parameter lists such as
// "m=65536,t=3,p=4". Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "domain/common/result.h"

namespace mneme::infra::hash {

// Splits on every '$' like Go's strings.Split: "$a$b" gives {"", "a", "b"}.
std::vector<std::string_view> SplitFields(std::string_view encoded);

// Reads "<name0>=<n0>,<name1>=<n1>,..." with exactly the given names in that
// order, each value a plain decimal (no sign, no spaces) within uint64_t.
// Errors: kInvalidArgument (other names, order, missing or extra values,
// non-digits, overflow).
Result<std::vector<uint64_t>> ParseParams(std::string_view text,
                                          std::initializer_list<std::string_view> names);

// `value` as a uint32_t when min <= value <= max (max at most UINT32_MAX).
// Errors: kInvalidArgument (value above `max` or below `min`), naming `what`.
Result<uint32_t> CheckRange(uint64_t value, uint64_t min, uint64_t max, std::string_view what);

}  // namespace mneme::infra::hash
