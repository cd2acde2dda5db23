// A telnet client (RFC 854) and the session object that gives it a context,
// the tutorial's `with TelnetClient(host) as client:`.
//
// TelnetClient speaks the network virtual terminal: it answers every option
// the server proposes by refusing it (DO x -> WONT x, WILL x -> DONT x; it
// supports none), skips subnegotiations (IAC SB ... IAC SE), turns IAC IAC
// into a data byte 255 and doubles 255 when writing. `ReadUntil(marker,
// timeout)` returns the data up to and including `marker`, like telnetlib's
// `read_until`, but with errors instead of silence: `DeadlineExceeded` when
// the marker does not come in time and `Unavailable` when the server closes
// first, both naming the server, the marker and what did arrive. Connecting
// to a closed port is `Unavailable` ("Connection refused"), to a silent one
// `DeadlineExceeded`.
//
// TelnetSession is the context manager: opening it connects (`__enter__`),
// and its destructor (`__exit__`) closes the connection and appends the
// command history to the history file, however the scope ends: normally, by
// an error return, or by an exception passing through. What `__exit__`'s
// `return True` did, swallowing the exception raised inside the `with`
// block, is `RunSuppressing` (suppress.h); the default, as in C++ and in
// Python without `return True`, lets it propagate.
//
// Thread-safety: none; one thread uses a client.
#ifndef CLASSES_TELNET_CLIENT_H_
#define CLASSES_TELNET_CLIENT_H_

#include <deque>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "classes/telnet_decoder.h"
#include "concurrency/io/scoped_fd.h"

namespace classes {

class TelnetClient {
 public:
  static absl::StatusOr<std::unique_ptr<TelnetClient>> Connect(
      const std::string& host, int port,
      absl::Duration timeout = absl::Seconds(10));
  ~TelnetClient();
  TelnetClient(const TelnetClient&) = delete;
  TelnetClient& operator=(const TelnetClient&) = delete;

  absl::StatusOr<std::string> ReadUntil(absl::string_view marker,
                                        absl::Duration timeout);
  // Sends `data` (255 doubled).
  absl::Status Write(absl::string_view data);
  void Close();

  // The negotiation so far, one entry per answer: "WONT 1", "DONT 3".
  const std::vector<std::string>& negotiation() const {
    return decoder_.negotiation();
  }
  const std::string& peer() const { return peer_; }

 private:
  TelnetClient(concurrency::io::ScopedFd fd, std::string peer)
      : fd_(std::move(fd)), peer_(std::move(peer)) {}
  absl::Status Consume(absl::string_view bytes);
  absl::Status SendRaw(absl::string_view bytes);

  concurrency::io::ScopedFd fd_;
  std::string peer_;
  std::string buffer_;  // decoded data not yet returned
  TelnetDecoder decoder_;
};

struct Prompts {
  std::string login = "login: ";
  std::string password = "Password: ";
  std::string shell = "$ ";
};

class TelnetSession {
 public:
  // `__enter__`: connects. `history_path` receives the commands at the end.
  static absl::StatusOr<std::unique_ptr<TelnetSession>> Open(
      const std::string& host, int port, std::string history_path,
      absl::Duration timeout = absl::Seconds(10));
  // `__exit__`: closes and appends the history, whatever ended the scope.
  // A failure to write the history is reported on stderr (a destructor has
  // no other way out); call Close() first to get it as a Status.
  ~TelnetSession();

  // Waits for the login prompt, sends `user`, waits for the password
  // prompt, sends `password`, and writes what the server says up to the
  // shell prompt to `out`.
  absl::Status Login(absl::string_view user, absl::string_view password,
                     std::ostream& out, const Prompts& prompts = {});

  // Sends each line of `in` as a command, records it in the history, and
  // writes the output (without the echoed command) to `out`, until `in`
  // ends.
  absl::Status Interact(std::istream& in, std::ostream& out,
                        const Prompts& prompts = {});

  // Closes the connection and appends the history now.
  absl::Status Close();

  TelnetClient& client() { return *client_; }
  const std::deque<std::string>& history() const { return history_; }

  absl::Duration timeout = absl::Seconds(10);

 private:
  TelnetSession(std::unique_ptr<TelnetClient> client, std::string history_path)
      : client_(std::move(client)), history_path_(std::move(history_path)) {}

  std::unique_ptr<TelnetClient> client_;
  std::string history_path_;
  std::deque<std::string> history_;
  bool closed_ = false;
};

}  // namespace classes

#endif  // CLASSES_TELNET_CLIENT_H_
