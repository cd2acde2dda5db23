#include "classes/telnet_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <istream>
#include <ostream>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "concurrency/io/posix_error.h"
#include "concurrency/io/read_write.h"

namespace classes {
namespace {

using concurrency::io::PosixError;
using concurrency::io::ScopedFd;

// What arrived, shortened and made printable, for error messages.
std::string Excerpt(absl::string_view data) {
  std::string out;
  for (char c : data.substr(data.size() > 60 ? data.size() - 60 : 0)) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += '?';
    } else {
      out += c;
    }
  }
  return absl::StrCat("'", out, "'");
}

// Connects to one address within `timeout`; the socket is blocking after.
absl::StatusOr<ScopedFd> ConnectOne(const addrinfo& a, const std::string& peer,
                                    absl::Duration timeout) {
  const std::string context = absl::StrCat("telnet ", peer);
  ScopedFd fd(socket(a.ai_family, a.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                     a.ai_protocol));
  if (!fd.valid()) return PosixError(context, errno);
  if (connect(fd.get(), a.ai_addr, a.ai_addrlen) != 0 && errno != EINPROGRESS) {
    return PosixError(context, errno);
  }
  // A signal (EINTR) is no failure: poll again for the time left.
  const absl::Time deadline = absl::Now() + timeout;
  pollfd p{fd.get(), POLLOUT, 0};
  int ready;
  do {
    const absl::Duration left =
        std::max(deadline - absl::Now(), absl::ZeroDuration());
    ready = poll(&p, 1,
                 static_cast<int>(std::min<int64_t>(
                     absl::ToInt64Milliseconds(left), INT_MAX)));
  } while (ready < 0 && errno == EINTR);
  if (ready == 0) {
    return absl::DeadlineExceededError(absl::StrCat(
        context, ": no connection within ", absl::FormatDuration(timeout)));
  }
  if (ready < 0) return PosixError(context, errno);
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return PosixError(context, err);
  fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  return fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TelnetClient>> TelnetClient::Connect(
    const std::string& host, int port, absl::Duration timeout) {
  const std::string peer = absl::StrCat(host, ":", port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  int rc = getaddrinfo(host.c_str(), absl::StrCat(port).c_str(), &hints, &list);
  if (rc != 0) {
    return absl::NotFoundError(
        absl::StrCat("telnet ", peer, ": ", gai_strerror(rc)));
  }
  absl::Status last =
      absl::UnavailableError(absl::StrCat("telnet ", peer, ": no address"));
  absl::Cleanup free_list = [list] { freeaddrinfo(list); };
  for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
    absl::StatusOr<ScopedFd> fd = ConnectOne(*a, peer, timeout);
    if (!fd.ok()) {
      last = fd.status();
      continue;
    }
    return std::unique_ptr<TelnetClient>(
        new TelnetClient(std::move(*fd), peer));
  }
  return last;
}

TelnetClient::~TelnetClient() { Close(); }

void TelnetClient::Close() { fd_.Reset(); }

absl::Status TelnetClient::SendRaw(absl::string_view bytes) {
  if (!fd_.valid()) {
    return absl::FailedPreconditionError(
        absl::StrCat("telnet ", peer_, ": connection closed"));
  }
  const std::string context = absl::StrCat("telnet ", peer_, ": send");
  absl::Status s = concurrency::io::SendAll(fd_.get(), bytes, context);
  if (absl::IsFailedPrecondition(s) || absl::IsUnavailable(s)) {
    // EPIPE and ECONNRESET: say what happened in the lesson's words.
    return absl::UnavailableError(
        absl::StrCat("telnet ", peer_,
                     ": the server closed the connection while we were "
                     "sending"));
  }
  return s;
}

absl::Status TelnetClient::Write(absl::string_view data) {
  std::string out;
  out.reserve(data.size());
  for (char c : data) {
    out.push_back(c);
    if (static_cast<unsigned char>(c) == kIac) out.push_back(c);
  }
  return SendRaw(out);
}

absl::Status TelnetClient::Consume(absl::string_view bytes) {
  std::string replies;
  decoder_.Consume(bytes, &buffer_, &replies);
  return replies.empty() ? absl::OkStatus() : SendRaw(replies);
}

absl::StatusOr<std::string> TelnetClient::ReadUntil(absl::string_view marker,
                                                    absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    size_t at = buffer_.find(marker.data(), 0, marker.size());
    if (at != std::string::npos) {
      std::string out = buffer_.substr(0, at + marker.size());
      buffer_.erase(0, at + marker.size());
      return out;
    }
    if (!fd_.valid()) {
      return absl::FailedPreconditionError(
          absl::StrCat("telnet ", peer_, ": connection closed"));
    }
    absl::Duration left = deadline - absl::Now();
    pollfd p{fd_.get(), POLLIN, 0};
    int ready =
        left <= absl::ZeroDuration()
            ? 0
            : poll(&p, 1,
                   static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      return absl::DeadlineExceededError(absl::StrFormat(
          "telnet %s: no '%s' within %s (received %s)", peer_, marker,
          absl::FormatDuration(timeout), Excerpt(buffer_)));
    }
    unsigned char buf[4096];
    ssize_t n = recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0 && errno != ECONNRESET) {
      return PosixError(
          absl::StrFormat("telnet %s: recv before '%s' (received %s)", peer_,
                          marker, Excerpt(buffer_)),
          errno);
    }
    if (n <= 0) {
      const char* why = n == 0 ? "the server closed the connection"
                               : "the server reset the connection";
      return absl::UnavailableError(
          absl::StrFormat("telnet %s: %s before '%s' (received %s)", peer_, why,
                          marker, Excerpt(buffer_)));
    }
    if (absl::Status s = Consume(absl::string_view(
            reinterpret_cast<const char*>(buf), static_cast<size_t>(n)));
        !s.ok()) {
      return s;
    }
  }
}

absl::StatusOr<std::unique_ptr<TelnetSession>> TelnetSession::Open(
    const std::string& host, int port, std::string history_path,
    absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<TelnetClient>> client =
      TelnetClient::Connect(host, port, timeout);
  if (!client.ok()) return client.status();
  auto session = std::unique_ptr<TelnetSession>(
      new TelnetSession(*std::move(client), std::move(history_path)));
  session->timeout = timeout;
  return session;
}

TelnetSession::~TelnetSession() {
  if (absl::Status s = Close(); !s.ok()) {
    std::fprintf(stderr, "telnet session: %s\n", s.ToString().c_str());
  }
}

absl::Status TelnetSession::Close() {
  if (closed_) return absl::OkStatus();
  closed_ = true;
  client_->Close();
  if (history_.empty()) return absl::OkStatus();
  ScopedFd fd(open(history_path_.c_str(),
                   O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    return PosixError(absl::StrCat("open history ", history_path_), errno);
  }
  std::string text;
  for (const std::string& line : history_) text += line;
  absl::Status s = concurrency::io::WriteAll(
      fd.get(), text, absl::StrCat("write history ", history_path_));
  absl::Status closed = fd.Close(absl::StrCat("close history ", history_path_));
  return s.ok() ? closed : s;
}

absl::Status TelnetSession::Login(absl::string_view user,
                                  absl::string_view password, std::ostream& out,
                                  const Prompts& prompts) {
  if (absl::StatusOr<std::string> r =
          client_->ReadUntil(prompts.login, timeout);
      !r.ok()) {
    return r.status();
  }
  if (absl::Status s = client_->Write(absl::StrCat(user, "\n")); !s.ok())
    return s;
  if (absl::StatusOr<std::string> r =
          client_->ReadUntil(prompts.password, timeout);
      !r.ok()) {
    return r.status();
  }
  if (absl::Status s = client_->Write(absl::StrCat(password, "\n")); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> banner =
      client_->ReadUntil(prompts.shell, timeout);
  if (!banner.ok()) return banner.status();
  out << *banner << std::flush;
  return absl::OkStatus();
}

absl::Status TelnetSession::Interact(std::istream& in, std::ostream& out,
                                     const Prompts& prompts) {
  std::string cmd;
  while (std::getline(in, cmd)) {
    history_.push_back(cmd + "\n");
    if (absl::Status s = client_->Write(cmd + "\n"); !s.ok()) return s;
    absl::StatusOr<std::string> reply =
        client_->ReadUntil(prompts.shell, timeout);
    if (!reply.ok()) return reply.status();
    // The server echoes the command line first; show only what follows.
    absl::string_view text = *reply;
    if (absl::StartsWith(text, cmd)) {
      size_t eol = text.find('\n');
      text.remove_prefix(eol == absl::string_view::npos ? text.size()
                                                        : eol + 1);
    }
    out << text << std::flush;
  }
  return absl::OkStatus();
}

}  // namespace classes
