#include "tests/support/test_support.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace mneme::testing {

nlohmann::json LoadSourceJson(const std::string& relative_path) {
  std::ifstream in(std::string(MNEME_SOURCE_DIR) + "/" + relative_path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto doc = nlohmann::json::parse(ss.str(), nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << relative_path << " is not readable JSON";
  return doc;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "mneme-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) {
    std::abort();
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Status CountingProjection::Apply(const domain::EventEnvelope& event,
                                 domain::ProjectionWriter& rows) {
  if (event.type == "test.poison") {
    return MakeError(Code::kInvalidArgument, "poisoned event");
  }
  for (const std::string& key : {"stream/" + event.stream, "type/" + event.type}) {
    MNEME_TRY(auto current, rows.Get(key));
    uint64_t n = current ? std::stoull(*current) : 0;
    rows.Put(key, std::to_string(n + 1));
  }
  rows.Put("last/" + event.stream, std::to_string(event.position.value()));
  return OkStatus();
}

Child SpawnWithStdoutPipe(const char* program, const std::string& arg) {
  int fds[2];
  if (pipe(fds) != 0) {
    return {};
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execl(program, program, arg.c_str(), nullptr);
    _exit(127);
  }
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    return {};
  }
  return Child{pid, fds[0]};
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

}  // namespace mneme::testing
