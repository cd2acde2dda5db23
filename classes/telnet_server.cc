#include "classes/telnet_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "classes/telnet_client.h"

namespace classes {
namespace {

bool Send(int fd, absl::string_view s) {
  while (!s.empty()) {
    ssize_t n = send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    s.remove_prefix(static_cast<size_t>(n));
  }
  return true;
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
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::ErrnoToStatus(errno, "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(fd, 16) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    absl::Status s = absl::ErrnoToStatus(errno, "bind/listen 127.0.0.1");
    close(fd);
    return s;
  }
  return std::unique_ptr<DemoTelnetServer>(
      new DemoTelnetServer(fd, ntohs(addr.sin_port), std::move(options)));
}

DemoTelnetServer::DemoTelnetServer(int listen_fd, int port, Options options)
    : listen_fd_(listen_fd),
      port_(port),
      options_(std::move(options)),
      thread_([this] { Serve(); }) {}

DemoTelnetServer::~DemoTelnetServer() {
  shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
  thread_.join();
  close(listen_fd_);
}

std::vector<std::string> DemoTelnetServer::answers() const {
  absl::MutexLock l(&mu_);
  return answers_;
}

void DemoTelnetServer::Serve() {
  while (true) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return;  // shut down
    }
    Session(fd);
    close(fd);
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
