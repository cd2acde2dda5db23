#include "classes/telnet_server.h"

#include <sys/socket.h>

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "classes/telnet_client.h"
#include "concurrency/io/read_write.h"

namespace classes {
namespace {

bool Send(int fd, absl::string_view s) {
  return concurrency::io::SendAll(fd, s, "telnet demo server").ok();
}

// Data bytes of 255 go out doubled (IAC IAC), as RFC 854 requires.
bool SendData(int fd, absl::string_view s) {
  std::string out;
  for (char c : s) {
    out.push_back(c);
    if (static_cast<unsigned char>(c) == kIac) out.push_back(c);
  }
  return Send(fd, out);
}

const char* Verb(unsigned char c) {
  return c == kWont ? "WONT" : c == kDont ? "DONT" : c == kWill ? "WILL" : "DO";
}

}  // namespace

absl::StatusOr<std::unique_ptr<DemoTelnetServer>> DemoTelnetServer::Start(
    Options options) {
  absl::StatusOr<std::unique_ptr<concurrency::io::Listener>> listener =
      concurrency::io::Listener::Open("127.0.0.1", 0, /*backlog=*/16);
  if (!listener.ok()) return listener.status();
  return std::unique_ptr<DemoTelnetServer>(
      new DemoTelnetServer(std::move(*listener), std::move(options)));
}

DemoTelnetServer::DemoTelnetServer(
    std::unique_ptr<concurrency::io::Listener> listener, Options options)
    : listener_(std::move(listener)),
      options_(std::move(options)),
      thread_([this] { Serve(); }) {}

DemoTelnetServer::~DemoTelnetServer() {
  listener_->Stop();
  thread_.join();
}

std::vector<std::string> DemoTelnetServer::answers() const {
  absl::MutexLock l(&mu_);
  return answers_;
}

void DemoTelnetServer::Serve() {
  while (true) {
    absl::StatusOr<concurrency::io::AcceptedSocket> c = listener_->Accept();
    if (!c.ok()) {
      if (listener_->stopped()) return;
      continue;  // a client that reset before it was accepted
    }
    Session(c->fd.get());
  }
}

void DemoTelnetServer::Session(int fd) {
  timeval tv{5, 0};  // a client that goes quiet is dropped
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  // Reads one line of data, skipping telnet commands; nullopt at EOF.
  auto read_line = [&]() -> std::optional<std::string> {
    std::string line;
    unsigned char c;
    while (true) {
      ssize_t n = recv(fd, &c, 1, 0);
      if (n <= 0) return std::nullopt;
      if (c == kIac) {
        unsigned char cmd[2];
        if (recv(fd, cmd, 1, MSG_WAITALL) != 1) return std::nullopt;
        if (cmd[0] == kIac) {
          line.push_back(static_cast<char>(kIac));
          continue;
        }
        if (recv(fd, cmd + 1, 1, MSG_WAITALL) != 1) return std::nullopt;
        absl::MutexLock l(&mu_);
        answers_.push_back(absl::StrCat(Verb(cmd[0]), " ", cmd[1]));
        continue;
      }
      if (c == '\n') return std::string(absl::StripSuffix(line, "\r"));
      line.push_back(static_cast<char>(c));
    }
  };
  auto prompt = [&](absl::string_view p) {
    return SendData(fd, p) && options_.close_after != p;
  };
  const char offers[] = {static_cast<char>(kIac),
                         static_cast<char>(kDo),
                         1,
                         static_cast<char>(kIac),
                         static_cast<char>(kWill),
                         3,
                         static_cast<char>(kIac),
                         static_cast<char>(kSb),
                         24,
                         1,
                         static_cast<char>(kIac),
                         static_cast<char>(kSe)};
  if (!Send(fd, absl::string_view(offers, sizeof offers))) return;
  if (!SendData(fd, "Demo telnet server\r\n") || !prompt("login: ")) return;
  std::optional<std::string> user = read_line();
  if (!user || !prompt("Password: ")) return;
  if (!read_line()) return;
  if (!SendData(fd, absl::StrCat("\r\nWelcome, ", *user, ".\r\n")) ||
      !prompt("$ ")) {
    return;
  }
  while (std::optional<std::string> cmd = read_line()) {
    std::string out = absl::StrCat(*cmd, "\r\n");  // the terminal's echo
    if (*cmd == "exit") {
      SendData(fd, out);
      return;
    }
    if (absl::StartsWith(*cmd, "echo ")) {
      absl::StrAppend(&out, cmd->substr(5), "\r\n");
    } else if (*cmd == "whoami") {
      absl::StrAppend(&out, *user, "\r\n");
    } else if (*cmd == "pwd") {
      absl::StrAppend(&out, "/home/", *user, "\r\n");
    } else if (!cmd->empty()) {
      absl::StrAppend(&out, "sh: ", *cmd, ": command not found\r\n");
    }
    if (!SendData(fd, out) || !prompt("$ ")) return;
  }
}

}  // namespace classes
