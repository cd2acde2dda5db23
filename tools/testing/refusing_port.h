// RefusingPort: a 127.0.0.1 port on which connections are refused, for tests
// of "the server is down".
//
// The port is bound but not listening, so a connect() gets ECONNREFUSED; and
// it stays bound for the RefusingPort's lifetime, so no other test running in
// parallel can take it over (which can happen to the port of a server that
// was just closed).
#ifndef TOOLS_TESTING_REFUSING_PORT_H_
#define TOOLS_TESTING_REFUSING_PORT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "concurrency/io/scoped_fd.h"

namespace testing_util {

class RefusingPort {
 public:
  RefusingPort() : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    const int fd = fd_.get();
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd >= 0 &&
        bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port_ = ntohs(addr.sin_port);
    }
  }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;

  // 0 if no port could be bound.
  int port() const { return port_; }

 private:
  concurrency::io::ScopedFd fd_;
  int port_ = 0;
};

}  // namespace testing_util

#endif  // TOOLS_TESTING_REFUSING_PORT_H_
