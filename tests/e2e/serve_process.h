// Runs the real `mneme` binary as a child process for end-to-end tests: a
// config written to a temp dir, stderr captured to a file, the listening
// ports read from its log, stopped by its PID.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/support/test_support.h"

namespace mneme::testing {

class ServeProcess {
 public:
  // Starts `mneme serve -c <config>` with extra environment entries.
  ServeProcess(const std::string& config_path, std::vector<std::string> env = {});
  ~ServeProcess();

  // Waits for the "listening" line; false if the process died or timed out.
  bool WaitUntilListening(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Waits for exit; returns the exit code, or -1 on timeout / signal.
  int WaitForExit(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void Signal(int sig);
  std::string Log() const;

  int public_port() const { return public_port_; }
  int admin_port() const { return admin_port_; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  TempDir dir_;
  int public_port_ = 0;
  int admin_port_ = 0;
  bool exited_ = false;
};

}  // namespace mneme::testing
