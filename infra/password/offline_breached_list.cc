#include "infra/password/offline_breached_list.h"

#include <algorithm>
#include <fstream>
#include <string>
#include <system_error>

#include <cryptopp/sha.h>

namespace mneme::infra::password {
namespace {

constexpr size_t kEntrySize = 8;

uint64_t BigEndian64(const unsigned char* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < kEntrySize; ++i) {
    v = (v << 8) | p[i];
  }
  return v;
}

uint64_t Sha1Prefix(std::string_view s) {
  unsigned char digest[CryptoPP::SHA1::DIGESTSIZE];
  CryptoPP::SHA1().CalculateDigest(digest, reinterpret_cast<const CryptoPP::byte*>(s.data()),
                                   s.size());
  return BigEndian64(digest);
}

}  // namespace

Result<std::unique_ptr<OfflineBreachedList>> OfflineBreachedList::Load(
    const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) {
      return MakeError(Code::kNotFound, "breached password list " + path.string() + " not found");
    }
    return MakeError(Code::kUnavailable,
                     "breached password list " + path.string() + ": " + ec.message());
  }
  if (size % kEntrySize != 0 || size == 0) {
    return MakeError(Code::kDataLoss, "breached password list " + path.string() + " has " +
                                          std::to_string(size) +
                                          " bytes, not a positive multiple of 8");
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes(size, '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) {
    return MakeError(Code::kUnavailable, "cannot read breached password list " + path.string());
  }
  std::vector<uint64_t> prefixes(size / kEntrySize);
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  for (size_t i = 0; i < prefixes.size(); ++i) {
    prefixes[i] = BigEndian64(data + i * kEntrySize);
    if (i > 0 && prefixes[i - 1] >= prefixes[i]) {
      return MakeError(Code::kDataLoss, "breached password list " + path.string() +
                                            " is not strictly ascending at entry " +
                                            std::to_string(i));
    }
  }
  return std::unique_ptr<OfflineBreachedList>(new OfflineBreachedList(std::move(prefixes)));
}

bool OfflineBreachedList::Contains(std::string_view password) const {
  const uint64_t prefix = Sha1Prefix(password);
  auto it = std::lower_bound(prefixes_.begin(), prefixes_.end(), prefix);
  return it != prefixes_.end() && *it == prefix;
}

Result<int64_t> OfflineBreachedList::Count(std::string_view password) {
  if (Contains(password)) {
    return 1;
  }
  std::string lower(password);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
  if (lower != password && Contains(lower)) {
    return 1;
  }
  return 0;
}

}  // namespace mneme::infra::password
