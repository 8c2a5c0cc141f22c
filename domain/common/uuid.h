// Textual UUID checks shared by the API services. Pure.
#pragma once

#include <string_view>

namespace mneme::common {

// True for the canonical 8-4-4-4-12 hex form (either case).
bool IsUuid(std::string_view s);

}  // namespace mneme::common
