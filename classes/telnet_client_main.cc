// Lesson 3: an object that supports a context. A telnet session is opened
// like `with TelnetClient(host) as client:` and, however the scope ends,
// closed with its command history appended to a file.
//
//   bazel run //classes:telnet_client                 # a built-in demo server
//   echo whoami | bazel run //classes:telnet_client
//   bazel run //classes:telnet_client -- --host=10.0.0.5 --user=me
#include <fcntl.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "classes/suppress.h"
#include "classes/telnet_client.h"
#include "classes/telnet_server.h"
#include "concurrency/io/scoped_fd.h"

ABSL_FLAG(std::string, host, "",
          "Telnet server. Empty: start the built-in demo server on 127.0.0.1.");
ABSL_FLAG(int, port, 23, "Telnet port (ignored for the demo server).");
ABSL_FLAG(std::string, user, "demo", "Login name.");
ABSL_FLAG(std::string, history_file, "",
          "Where commands are appended (default: history.txt in the directory "
          "bazel run was started from).");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10),
          "Time limit for each prompt.");

namespace {

// getpass(): TELNET_PASSWORD if set, else a line read from the terminal with
// echo off.
absl::StatusOr<std::string> Password() {
  if (const char* env = getenv("TELNET_PASSWORD")) return std::string(env);
  concurrency::io::ScopedFd owned(open("/dev/tty", O_RDWR | O_CLOEXEC));
  const int tty = owned.get();
  if (tty < 0) {
    return absl::FailedPreconditionError(
        "no terminal to ask for the password: set TELNET_PASSWORD");
  }
  termios old;
  tcgetattr(tty, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(tty, TCSANOW, &quiet);
  (void)!write(tty, "Password: ", 10);
  std::string line;
  char c;
  while (read(tty, &c, 1) == 1 && c != '\n') line.push_back(c);
  tcsetattr(tty, TCSANOW, &old);
  (void)!write(tty, "\n", 1);
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "A telnet session as a context: login, commands from stdin, history "
      "appended to a file when the scope ends, however it ends.");
  absl::ParseCommandLine(argc, argv);

  std::unique_ptr<classes::DemoTelnetServer> demo;
  std::string host = absl::GetFlag(FLAGS_host);
  int port = absl::GetFlag(FLAGS_port);
  if (host.empty()) {
    absl::StatusOr<std::unique_ptr<classes::DemoTelnetServer>> server =
        classes::DemoTelnetServer::Start();
    if (!server.ok()) {
      std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
      return 1;
    }
    demo = *std::move(server);
    host = "127.0.0.1";
    port = demo->port();
    std::printf("no --host: using the demo telnet server on %s:%d\n",
                host.c_str(), port);
  }
  std::string history = absl::GetFlag(FLAGS_history_file);
  if (history.empty()) {
    const char* base = getenv("BUILD_WORKING_DIRECTORY");
    history = absl::StrCat(base ? base : ".", "/history.txt");
  }
  const absl::Duration timeout = absl::GetFlag(FLAGS_timeout);

  // The tutorial's block: `with TelnetClient(...) as client: raise
  // Exception('TEST')`. Its __exit__ returns True, swallowing the exception;
  // RunSuppressing is that choice made visible. The session's destructor
  // (__exit__) closes the connection whichever way the block ends.
  absl::Status swallowed = classes::RunSuppressing(
      [&] {
        absl::StatusOr<std::unique_ptr<classes::TelnetSession>> client =
            classes::TelnetSession::Open(host, port, history, timeout);
        if (!client.ok()) throw std::runtime_error(client.status().ToString());
        throw std::runtime_error("TEST");
      },
      [](absl::string_view what) {
        std::printf("IN __exit__: exception '%.*s' suppressed\n",
                    static_cast<int>(what.size()), what.data());
      });
  std::printf("END (the program goes on: %s)\n\n",
              swallowed.ToString().c_str());

  // The useful part: log in and run the commands read from stdin.
  absl::StatusOr<std::unique_ptr<classes::TelnetSession>> session =
      classes::TelnetSession::Open(host, port, history, timeout);
  if (!session.ok()) {
    std::fprintf(stderr, "%s\n", session.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<std::string> password =
      demo ? absl::StatusOr<std::string>("demo") : Password();
  if (!password.ok()) {
    std::fprintf(stderr, "%s\n", password.status().ToString().c_str());
    return 1;
  }
  if (absl::Status s =
          (*session)->Login(absl::GetFlag(FLAGS_user), *password, std::cout);
      !s.ok()) {
    std::fprintf(stderr, "\nlogin: %s\n", s.ToString().c_str());
    return 1;
  }
  absl::Status s = (*session)->Interact(std::cin, std::cout);
  if (absl::Status closed = (*session)->Close(); s.ok()) s = closed;
  std::printf("\n%zu commands appended to %s\n", (*session)->history().size(),
              history.c_str());
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
