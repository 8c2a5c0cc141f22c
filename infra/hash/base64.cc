#include "infra/hash/base64.h"

#include <cryptopp/base64.h>
#include <cryptopp/filters.h>

namespace mneme::infra::hash {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Index of `c` in the standard alphabet, or -1.
int SextetOf(char c) {
  const size_t at = kAlphabet.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

Status CheckStrictTail(std::string_view body, Base64Trailing trailing) {
  if (trailing == Base64Trailing::kLenient || body.empty()) {
    return OkStatus();
  }
  // A final group of 2 characters carries 8 bits (4 spare), of 3 characters
  // 16 bits (2 spare); Go's Strict() wants the spare bits to be zero.
  const int last = SextetOf(body.back());
  switch (body.size() % 4) {
    case 2:
      if ((last & 0x0f) != 0) {
        return MakeError(Code::kInvalidArgument, "base64 has non-zero trailing bits");
      }
      break;
    case 3:
      if ((last & 0x03) != 0) {
        return MakeError(Code::kInvalidArgument, "base64 has non-zero trailing bits");
      }
      break;
    default:
      break;
  }
  return OkStatus();
}

}  // namespace

std::string EncodeBase64(std::string_view bytes, Base64Padding padding) {
  std::string out;
  CryptoPP::StringSource source(
      reinterpret_cast<const CryptoPP::byte*>(bytes.data()), bytes.size(), true,
      new CryptoPP::Base64Encoder(new CryptoPP::StringSink(out), /*insertLineBreaks=*/false));
  if (padding == Base64Padding::kRaw) {
    while (!out.empty() && out.back() == '=') {
      out.pop_back();
    }
  }
  return out;
}

Result<std::string> DecodeBase64(std::string_view text, Base64Padding padding,
                                 Base64Trailing trailing) {
  std::string_view body = text;
  if (padding == Base64Padding::kPadded) {
    if (text.size() % 4 != 0) {
      return MakeError(Code::kInvalidArgument, "base64 length is not a multiple of 4");
    }
    size_t pads = 0;
    while (pads < 2 && pads < body.size() && body[body.size() - 1 - pads] == '=') {
      ++pads;
    }
    body = text.substr(0, text.size() - pads);
    // Padding must fill exactly the last group: "xx==" or "xxx=".
    if (pads != 0 && body.size() % 4 != 4 - pads) {
      return MakeError(Code::kInvalidArgument, "base64 padding is wrong");
    }
  }
  if (body.size() % 4 == 1) {
    return MakeError(Code::kInvalidArgument, "base64 length is impossible");
  }
  for (char c : body) {
    if (SextetOf(c) < 0) {
      return MakeError(Code::kInvalidArgument, "base64 has a character outside the alphabet");
    }
  }
  MNEME_RETURN_IF_ERROR(CheckStrictTail(body, trailing));

  std::string out;
  CryptoPP::StringSource source(reinterpret_cast<const CryptoPP::byte*>(body.data()),
                                body.size(), true,
                                new CryptoPP::Base64Decoder(new CryptoPP::StringSink(out)));
  return out;
}

}  // namespace mneme::infra::hash
