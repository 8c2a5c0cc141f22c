// mneme: the identity server (`mneme serve`) and its admin CLI.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "cmd/mneme/app.h"
#include "cmd/mneme/audit_cli.h"
#include "cmd/mneme/hashers_cli.h"
#include "cmd/mneme/identities_cli.h"

namespace {

constexpr const char* kUsage = R"(mneme: a Kratos-compatible identity server on an event log

Usage:
  mneme serve -c FILE [-c FILE ...] [--dev] [--watch-courier] [--sqa-opt-out]
  mneme identities import FILE|- | list | get ID... | delete ID...  [-e URL] [--format table|json]
  mneme audit identity ID [--at RFC3339] [--format table|json] | export ID  [-e URL]
  mneme hashers argon2 calibrate [--expected-duration 500ms] [--max-memory 1GB] [-q]
  mneme version
  mneme help

Environment variables override config keys as in Kratos (DSN, LOG_LEVEL,
SERVE_PUBLIC_PORT, ...).
)";

std::string ExecutablePath() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

int Serve(const std::vector<std::string>& args) {
  mneme::cmd::ServeFlags flags;
  flags.executable = ExecutablePath();
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "-c" || a == "--config") && i + 1 < args.size()) {
      flags.config_files.push_back(args[++i]);
    } else if (a.rfind("--config=", 0) == 0) {
      flags.config_files.push_back(a.substr(9));
    } else if (a == "--dev") {
      flags.dev = true;
    } else if (a == "--watch-courier") {
      flags.watch_courier = true;
    } else if (a == "--sqa-opt-out") {
      // Kratos's telemetry opt-out: mneme sends no telemetry, accepted for compatibility.
    } else {
      std::fprintf(stderr, "mneme serve: unknown flag %s\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  if (flags.config_files.empty()) {
    std::fprintf(stderr, "mneme serve: give a config file with -c FILE\n");
    return 2;
  }
  // Signals are taken by sigwait below, never by a handler: block them first
  // so every thread the app starts inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto app = mneme::cmd::App::Create(flags, mneme::infra::config::ProcessEnvironment());
  if (!app) {
    std::fprintf(stderr, "mneme serve: %s\n", app.error().message().c_str());
    return 1;
  }
  (*app)->Start();
  int sig = 0;
  sigwait(&signals, &sig);
  (*app)->log().info("shutting down signal={}", strsignal(sig));
  (*app)->Shutdown();
  (*app)->log().info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "version" || args[0] == "--version") {
    std::printf("mneme %s\n", MNEME_VERSION);
    return 0;
  }
  if (args[0] == "identities" || args[0] == "identity") {
    return mneme::cmd::IdentitiesCli(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  if (args[0] == "audit") {
    return mneme::cmd::AuditCli(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  if (args[0] == "hashers") {
    return mneme::cmd::HashersCli(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  if (args[0] == "serve") {
    return Serve(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  std::fprintf(stderr, "mneme: unknown command %s\n%s", args[0].c_str(), kUsage);
  return 2;
}
