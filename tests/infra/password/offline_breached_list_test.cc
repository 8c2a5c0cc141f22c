#include "infra/password/offline_breached_list.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <cryptopp/sha.h>

#include "tests/support/test_support.h"

namespace mneme::infra::password {
namespace {

using ::mneme::testing::HasCode;
using ::mneme::testing::IsOk;
using ::mneme::testing::TempDir;

std::string Sha1Prefix(std::string_view s) {
  std::string digest(CryptoPP::SHA1::DIGESTSIZE, '\0');
  CryptoPP::SHA1().CalculateDigest(reinterpret_cast<CryptoPP::byte*>(digest.data()),
                                   reinterpret_cast<const CryptoPP::byte*>(s.data()), s.size());
  return digest.substr(0, 8);
}

void WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::filesystem::path WriteList(const TempDir& dir, std::vector<std::string> passwords) {
  std::vector<std::string> prefixes;
  for (const auto& p : passwords) {
    prefixes.push_back(Sha1Prefix(p));
  }
  // Bytewise as unsigned, i.e. big-endian numeric order.
  std::sort(prefixes.begin(), prefixes.end(), [](const std::string& a, const std::string& b) {
    return std::lexicographical_compare(
        a.begin(), a.end(), b.begin(), b.end(),
        [](char x, char y) { return static_cast<unsigned char>(x) < static_cast<unsigned char>(y); });
  });
  std::string bytes;
  for (const auto& p : prefixes) {
    bytes += p;
  }
  auto path = dir.path() / "list.bin";
  WriteFile(path, bytes);
  return path;
}

TEST(OfflineBreachedListTest, FindsListedPasswords) {
  TempDir dir;
  auto list = OfflineBreachedList::Load(WriteList(dir, {"hunter2", "letmein", "trustno1", "zzzzzz"}));
  ASSERT_THAT(list, IsOk());
  EXPECT_EQ((*list)->size(), 4u);
  for (const char* p : {"hunter2", "letmein", "trustno1", "zzzzzz"}) {
    EXPECT_EQ((*list)->Count(p).value(), 1) << p;
  }
  EXPECT_EQ((*list)->Count("hunter3").value(), 0);
  EXPECT_EQ((*list)->Count("").value(), 0);
  EXPECT_EQ((*list)->Count("c0rrect-h0rse-battery-staple-9241").value(), 0);
}

TEST(OfflineBreachedListTest, MatchesCaseVariantsOfLowerCaseEntries) {
  TempDir dir;
  auto list = OfflineBreachedList::Load(WriteList(dir, {"letmein"}));
  ASSERT_THAT(list, IsOk());
  EXPECT_EQ((*list)->Count("LetMeIn").value(), 1);
  EXPECT_EQ((*list)->Count("LETMEIN").value(), 1);
  EXPECT_EQ((*list)->Count("letmein!").value(), 0);
}

TEST(OfflineBreachedListTest, MissingFileIsNotFound) {
  TempDir dir;
  EXPECT_THAT(OfflineBreachedList::Load(dir.path() / "absent.bin"), HasCode(Code::kNotFound));
}

TEST(OfflineBreachedListTest, CorruptFilesAreDataLoss) {
  TempDir dir;
  auto path = dir.path() / "bad.bin";
  WriteFile(path, Sha1Prefix("hunter2") + "abc");  // 11 bytes
  EXPECT_THAT(OfflineBreachedList::Load(path), HasCode(Code::kDataLoss));
  WriteFile(path, "");
  EXPECT_THAT(OfflineBreachedList::Load(path), HasCode(Code::kDataLoss));
  WriteFile(path, std::string("\x02\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0", 16));  // descending
  EXPECT_THAT(OfflineBreachedList::Load(path), HasCode(Code::kDataLoss));
  WriteFile(path, std::string(16, '\x07'));  // duplicate
  EXPECT_THAT(OfflineBreachedList::Load(path), HasCode(Code::kDataLoss));
}

// The real list: MNEME_BREACHED_LIST if set, else built here from
// node_modules (installed by scripts/setup) with scripts/build-breached-list.
TEST(OfflineBreachedListTest, RealListRefusesCommonPasswords) {
  TempDir dir;
  std::filesystem::path path;
  if (const char* env = std::getenv("MNEME_BREACHED_LIST"); env != nullptr && *env != '\0') {
    path = env;
  } else {
    const std::filesystem::path source = MNEME_SOURCE_DIR;
    ASSERT_TRUE(std::filesystem::exists(source / "node_modules/@zxcvbn-ts/language-common"))
        << "node_modules is missing: run scripts/setup --deps (npm ci)";
    path = dir.path() / "breached.bin";
    const std::string command = "'" + (source / "scripts/build-breached-list").string() + "' '" +
                                path.string() + "' >/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  auto list = OfflineBreachedList::Load(path);
  ASSERT_THAT(list, IsOk());
  EXPECT_GT((*list)->size(), 40000u);
  for (const char* p : {"password123", "password", "123456", "qwerty", "iloveyou", "Password123"}) {
    EXPECT_EQ((*list)->Count(p).value(), 1) << p;
  }
  // "password123456" is not in @zxcvbn-ts/language-common 4.1.3; HIBP
  // (HibpClient) is what refuses it.
  EXPECT_EQ((*list)->Count("c0rrect-h0rse-battery-staple-9241").value(), 0);
}

}  // namespace
}  // namespace mneme::infra::password
