// SilentClients: many loopback connections that send some bytes (a partial
// request head, or a whole request whose response they read) and then go
// silent, for tests that a server serves others while they stay open.
//
//   ASSERT_TRUE(testing_util::RaiseFdLimit(2 * 1000 + 100));
//   auto silent = testing_util::SilentClients::Open(port, 1000, "GET / HT");
//   ... a new client is served ...
//   EXPECT_EQ(silent->StillOpen(), 1000);
//
// `StillOpen()` counts the connections on which the server has neither
// answered nor closed: a non-blocking peek finds nothing to read and no end.
// It asserts order (served while they were open), never durations.
#ifndef TOOLS_TESTING_SILENT_CLIENTS_H_
#define TOOLS_TESTING_SILENT_CLIENTS_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "concurrency/io/read_write.h"
#include "concurrency/io/scoped_fd.h"

namespace testing_util {

// Raises this process's RLIMIT_NOFILE to at least `needed`: the soft limit,
// and the hard one too where the process may (root); returns whether it is
// now at least `needed`.
inline bool RaiseFdLimit(rlim_t needed) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  if (limit.rlim_cur >= needed) return true;
  limit.rlim_cur = needed;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed) {
    limit.rlim_max = needed;
  }
  return setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

// A blocking socket connected to 127.0.0.1:`port` (empty on failure), with a
// 30 s receive timeout, so that a broken server fails a test, never hangs it.
inline concurrency::io::ScopedFd ConnectLoopback(int port) {
  concurrency::io::ScopedFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (!fd.valid() ||
      connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return concurrency::io::ScopedFd();
  }
  timeval tv{30, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Reads one response with a Content-Length body from `fd`: the whole
// response, or what came before EOF or an error.
inline std::string ReadOneResponse(int fd) {
  std::string in;
  char buf[4096];
  while (true) {
    const size_t end = in.find("\r\n\r\n");
    if (end != std::string::npos) {
      size_t length = 0;
      const size_t cl = in.find("Content-Length: ");
      if (cl != std::string::npos && cl < end) {
        const size_t eol = in.find("\r\n", cl);
        if (!absl::SimpleAtoi(in.substr(cl + 16, eol - cl - 16), &length)) {
          return in;
        }
      }
      if (in.size() >= end + 4 + length) return in;
    }
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return in;
    in.append(buf, static_cast<size_t>(n));
  }
}

class SilentClients {
 public:
  // Opens `n` connections to `port`, each sending `first_bytes`; with
  // `read_response`, each then reads one whole response (a kept-alive
  // connection left idle). Nullopt if a connection or send failed.
  static std::optional<SilentClients> Open(int port, int n,
                                           absl::string_view first_bytes,
                                           bool read_response = false) {
    SilentClients c;
    for (int i = 0; i < n; ++i) {
      concurrency::io::ScopedFd fd = ConnectLoopback(port);
      if (!fd.valid() ||
          !concurrency::io::SendAll(fd.get(), first_bytes, "silent client")
               .ok()) {
        return std::nullopt;
      }
      if (read_response && ReadOneResponse(fd.get()).empty()) {
        return std::nullopt;
      }
      c.fds_.push_back(std::move(fd));
    }
    return c;
  }

  // How many are open with nothing to read: unanswered and not closed.
  int StillOpen() const {
    int open = 0;
    for (const concurrency::io::ScopedFd& fd : fds_) {
      char c;
      const ssize_t n = recv(fd.get(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) ++open;
    }
    return open;
  }

  int size() const { return static_cast<int>(fds_.size()); }

 private:
  std::vector<concurrency::io::ScopedFd> fds_;
};

}  // namespace testing_util

#endif  // TOOLS_TESTING_SILENT_CLIENTS_H_
