// Base64 in the exact flavours Go's encoding/base64 uses in Kratos's hash
// formats: the standard alphabet with padding (StdEncoding) or without
// (RawStdEncoding), decoded strictly (Strict(): non-zero trailing bits are an
// error) or leniently. Crypto++'s decoder skips characters it does not know,
// so the input is checked here before it is handed to Crypto++.
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "domain/common/result.h"

namespace mneme::infra::hash {

enum class Base64Padding { kPadded, kRaw };
enum class Base64Trailing { kStrict, kLenient };

std::string EncodeBase64(std::string_view bytes, Base64Padding padding);

// Errors: kInvalidArgument (a character outside the alphabet, wrong length or
// padding, or non-zero trailing bits when strict).
Result<std::string> DecodeBase64(std::string_view text, Base64Padding padding,
                                 Base64Trailing trailing = Base64Trailing::kStrict);

}  // namespace mneme::infra::hash
