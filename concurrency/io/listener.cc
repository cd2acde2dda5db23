#include "concurrency/io/listener.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "concurrency/io/posix_error.h"

namespace concurrency::io {
namespace {

int PortOf(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6&>(addr).sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
}

// Opens, binds and listens on the first address of `host` that works.
absl::StatusOr<ScopedFd> BindFirst(const std::string& host, int port,
                                   int backlog) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* list = nullptr;
  std::string service = absl::StrCat(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
      rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen on ", host, ":", port, ": ", gai_strerror(rc)));
  }
  absl::Cleanup free_list = [list] { freeaddrinfo(list); };
  absl::Status last = absl::NotFoundError(
      absl::StrCat("listen on ", host, ":", port, ": no address"));
  for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
    // Non-blocking, so that an accept after a readiness report that a
    // peer's reset has made stale returns EAGAIN instead of blocking.
    ScopedFd fd(
        socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    int one = 1;
    if (fd.valid()) {
      setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    }
    if (!fd.valid() || bind(fd.get(), a->ai_addr, a->ai_addrlen) != 0 ||
        listen(fd.get(), backlog) != 0) {
      last = PosixError(absl::StrCat("listen on ", host, ":", port), errno);
      continue;
    }
    return fd;
  }
  return last;
}

}  // namespace

std::string SocketAddressText(const void* storage) {
  const auto& addr = *static_cast<const sockaddr_storage*>(storage);
  char text[INET6_ADDRSTRLEN] = "?";
  if (addr.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr,
              text, sizeof text);
    return absl::StrCat("[", text, "]:", PortOf(addr));
  }
  inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(addr).sin_addr, text,
            sizeof text);
  return absl::StrCat(text, ":", PortOf(addr));
}

absl::StatusOr<std::unique_ptr<Listener>> Listener::Open(absl::string_view host,
                                                         int port,
                                                         int backlog) {
  std::string host_text(host);
  absl::StatusOr<ScopedFd> fd = BindFirst(host_text, port, backlog);
  if (!fd.ok()) return fd.status();
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getsockname(fd->get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return PosixError(absl::StrCat("getsockname for ", host_text), errno);
  }
  ScopedFd wake(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.valid()) return PosixError("eventfd for a listener", errno);
  return std::unique_ptr<Listener>(new Listener(
      std::move(*fd), std::move(wake), std::move(host_text), PortOf(addr)));
}

Listener::Listener(ScopedFd fd, ScopedFd wake, std::string host, int port)
    : fd_(std::move(fd)),
      wake_(std::move(wake)),
      host_(std::move(host)),
      port_(port) {}

absl::StatusOr<AcceptedSocket> Listener::Accept() {
  while (true) {
    if (stopped()) return absl::CancelledError("listener stopped");
    pollfd fds[2] = {{fd_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return PosixError("poll on a listener", errno);
    }
    if (stopped() || (fds[1].revents & POLLIN) != 0) {
      return absl::CancelledError("listener stopped");
    }
    if ((fds[0].revents & POLLIN) == 0) continue;
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    int fd = accept4(fd_.get(), reinterpret_cast<sockaddr*>(&addr), &len,
                     SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED) continue;
      return PosixError(absl::StrCat("accept on ", host_, ":", port_), errno);
    }
    return AcceptedSocket{ScopedFd(fd), SocketAddressText(&addr)};
  }
}

absl::StatusOr<AcceptedSocket> Listener::AcceptNonBlocking() {
  while (true) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    int fd = accept4(fd_.get(), reinterpret_cast<sockaddr*>(&addr), &len,
                     SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd >= 0) return AcceptedSocket{ScopedFd(fd), SocketAddressText(&addr)};
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return absl::UnavailableError("no connection waiting");
    }
    return PosixError(absl::StrCat("accept on ", host_, ":", port_), errno);
  }
}

void Listener::Stop() {
  stopped_.store(true, std::memory_order_release);
  uint64_t one = 1;
  // A full eventfd counter (EAGAIN) is already readable, which is all we need.
  (void)!write(wake_.get(), &one, sizeof one);
}

}  // namespace concurrency::io
