// -----------------------------------------------------------------------------
// File: listener.h
// -----------------------------------------------------------------------------
//
// Listener is a listening TCP socket and the repository's one accept loop
// primitive. Every server of the tree (the HTTP servers, the camera streamer,
// the telnet demo server) gets its connections from `Accept()` and stops by
// calling `Stop()`, so there is one way to wait for a connection and one way
// to be woken from that wait.
//
// clang-format off
//   absl::StatusOr<std::unique_ptr<Listener>> l = Listener::Open("127.0.0.1", 0);
//   while (true) {
//     absl::StatusOr<AcceptedSocket> c = (*l)->Accept();
//     if (!c.ok()) break;  // Cancelled after Stop(); other errors name why
//     Serve(std::move(*c));
//   }
// clang-format on
//
// `Stop()` may be called from any thread, any number of times: the `Accept()`
// that is blocked, and every later one, returns Cancelled. Accepted sockets
// are blocking and close-on-exec; they belong to the caller.
//
// Thread-safety: `Accept()` (or `AcceptNonBlocking()`) from one thread at a
// time; `Stop()`, `port()` and `host()` from any thread.
#ifndef CONCURRENCY_IO_LISTENER_H_
#define CONCURRENCY_IO_LISTENER_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "concurrency/io/scoped_fd.h"

namespace concurrency::io {

// An accepted connection: its socket and the peer's "address:port".
struct AcceptedSocket {
  ScopedFd fd;
  std::string peer;
};

class Listener {
 public:
  // Binds `host` (a numeric address or a name; "127.0.0.1", "::1",
  // "0.0.0.0", "localhost") and `port` (0 picks a free one) and listens.
  // Errors name the address.
  static absl::StatusOr<std::unique_ptr<Listener>> Open(absl::string_view host,
                                                        int port,
                                                        int backlog = 1024);

  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Waits for the next connection. Returns Cancelled once `Stop()` was
  // called; transient accept errors (a peer that reset before it was
  // accepted, EMFILE) come back as statuses and the caller may call again.
  absl::StatusOr<AcceptedSocket> Accept();

  // For an event loop that polls `fd()`: accepts a connection already
  // waiting, without blocking. Its socket is non-blocking and
  // close-on-exec. Unavailable when none is waiting; other errors (EMFILE)
  // name why, and the caller may call again later.
  absl::StatusOr<AcceptedSocket> AcceptNonBlocking();

  // The listening socket (non-blocking), to poll for readability. Borrowed.
  int fd() const { return fd_.get(); }

  // Makes the blocked and every later `Accept()` return Cancelled.
  void Stop();

  bool stopped() const { return stopped_.load(std::memory_order_acquire); }
  int port() const { return port_; }
  const std::string& host() const { return host_; }

 private:
  Listener(ScopedFd fd, ScopedFd wake, std::string host, int port);

  // Constant after construction.
  const ScopedFd fd_;
  const ScopedFd wake_;  // an eventfd: readable once Stop() was called
  const std::string host_;
  const int port_;

  std::atomic<bool> stopped_{false};
};

// The "address:port" text of a socket address (IPv4 or IPv6).
std::string SocketAddressText(const void* sockaddr_storage);

}  // namespace concurrency::io

#endif  // CONCURRENCY_IO_LISTENER_H_
