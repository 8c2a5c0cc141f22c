// Test helpers: temporary directories on disk, Result matchers that name the
// expected code, and a small projection that reads and writes rows.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "domain/common/result.h"
#include "domain/event/projection.h"

namespace mneme::testing {

// A fresh directory under /tmp, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// EXPECT_THAT(result, HasCode(Code::kAlreadyExists))
MATCHER_P(HasCode, code, "fails with " + std::string(::mneme::CodeName(code))) {
  if (arg.has_value()) {
    *result_listener << "succeeded";
    return false;
  }
  *result_listener << "failed with " << arg.error().ToString();
  return arg.error().code() == code;
}

MATCHER(IsOk, "succeeds") {
  if (!arg.has_value()) {
    *result_listener << "failed with " << arg.error().ToString();
    return false;
  }
  return true;
}

// Counts events per stream and per type with read-modify-write, so it
// exercises reads of rows written earlier in the same batch. Fails any event
// whose type is "test.poison".
class CountingProjection final : public domain::Projection {
 public:
  static constexpr const char* kName = "test_counts_v1";
  std::string Name() const override { return kName; }
  Status Apply(const domain::EventEnvelope& event, domain::ProjectionWriter& rows) override;
};

// A JSON file of the source tree (MNEME_SOURCE_DIR-relative), e.g.
// "tests/fixtures/identity.schema.json". Fails the test if unreadable.
nlohmann::json LoadSourceJson(const std::string& relative_path);

// A free TCP port on 127.0.0.1 (bound then released).
int FreePort();

// Runs `program arg` with its stdout on a pipe; the caller reads read_fd,
// kills and reaps pid. pid is -1 if the fork failed.
struct Child {
  pid_t pid = -1;
  int read_fd = -1;
};
Child SpawnWithStdoutPipe(const char* program, const std::string& arg);

}  // namespace mneme::testing
