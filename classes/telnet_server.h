// DemoTelnetServer: a tiny telnet server on 127.0.0.1 for the telnet lesson's
// demo and tests, since no telnet server is reachable here.
//
// Per connection it proposes options the way real servers do (IAC DO ECHO,
// IAC WILL SUPPRESS-GO-AHEAD, a TERMINAL-TYPE subnegotiation), asks
// "login: " and "Password: ", greets, and then runs a toy shell behind the
// prompt "$ ": it echoes each command line, as a terminal does, then answers
// `echo ...`, `whoami`, `pwd`; anything else is "command not found"; `exit`
// closes. `close_after` makes it hang up after sending a given prompt
// (a server closing mid-read). It records the option answers it receives.
//
// Thread-safety: the server runs on its own thread; `answers()` may be read
// from any thread.
#ifndef CLASSES_TELNET_SERVER_H_
#define CLASSES_TELNET_SERVER_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "concurrency/io/listener.h"

namespace classes {

class DemoTelnetServer {
 public:
  struct Options {
    std::string close_after;  // a prompt after which to hang up; "" never
  };

  static absl::StatusOr<std::unique_ptr<DemoTelnetServer>> Start(
      Options options);
  static absl::StatusOr<std::unique_ptr<DemoTelnetServer>> Start() {
    return Start(Options());
  }
  ~DemoTelnetServer();

  int port() const { return listener_->port(); }
  // The option answers received, as "WONT 1", "DONT 3"...
  std::vector<std::string> answers() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  DemoTelnetServer(std::unique_ptr<concurrency::io::Listener> listener,
                   Options options);
  void Serve();
  void Session(int fd);

  const std::unique_ptr<concurrency::io::Listener> listener_;
  const Options options_;
  mutable absl::Mutex mu_;
  std::vector<std::string> answers_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace classes

#endif  // CLASSES_TELNET_SERVER_H_
