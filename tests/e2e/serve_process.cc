#include "tests/e2e/serve_process.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace mneme::testing {

ServeProcess::ServeProcess(const std::string& config_path, std::vector<std::string> env) {
  log_path_ = (dir_.path() / "serve.log").string();
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    for (auto& kv : env) {
      putenv(kv.data());
    }
    execl(MNEME_BINARY, MNEME_BINARY, "serve", "-c", config_path.c_str(), nullptr);
    _exit(127);
  }
}

ServeProcess::~ServeProcess() {
  if (!exited_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string ServeProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool ServeProcess::WaitUntilListening(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::istringstream lines(Log());
    std::string line;
    while (std::getline(lines, line)) {
      if (line.find("listening") == std::string::npos) {
        continue;
      }
      auto port_of = [&](const std::string& key) {
        std::smatch m;
        std::regex re(key + R"re("?[=:]"?[0-9.]+:(\d+))re");
        return std::regex_search(line, m, re) ? std::stoi(m[1]) : 0;
      };
      public_port_ = port_of("public");
      admin_port_ = port_of("admin");
      if (public_port_ > 0 && admin_port_ > 0) {
        return true;
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int ServeProcess::WaitForExit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

void ServeProcess::Signal(int sig) { kill(pid_, sig); }

}  // namespace mneme::testing
