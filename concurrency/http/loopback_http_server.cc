#include "concurrency/http/loopback_http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace concurrency::http {
namespace {

constexpr size_t kMaxHead = 16 << 10;

bool SendAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::optional<HttpRequest> ParseHead(absl::string_view head) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  if (lines.empty()) return std::nullopt;
  std::vector<absl::string_view> parts =
      absl::StrSplit(lines[0], ' ', absl::SkipEmpty());
  if (parts.size() != 3 || !absl::StartsWith(parts[2], "HTTP/1.")) {
    return std::nullopt;
  }
  HttpRequest r;
  r.method = std::string(parts[0]);
  r.target = std::string(parts[1]);
  size_t q = r.target.find('?');
  r.path = r.target.substr(0, q);
  if (q != std::string::npos) r.query = r.target.substr(q + 1);
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos) continue;
    r.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
  }
  return r;
}

}  // namespace

const char* HttpReason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

absl::StatusOr<std::unique_ptr<LoopbackHttpServer>> LoopbackHttpServer::Start(
    Handler handler, Options options) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::ErrnoToStatus(errno, "socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(options.port));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(fd, 512) != 0) {
    absl::Status s = absl::ErrnoToStatus(
        errno, absl::StrCat("bind/listen 127.0.0.1:", options.port));
    close(fd);
    return s;
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int wake[2];
  if (pipe2(wake, O_CLOEXEC) != 0) {
    close(fd);
    return absl::ErrnoToStatus(errno, "pipe2");
  }
  return std::unique_ptr<LoopbackHttpServer>(new LoopbackHttpServer(
      std::move(handler), options, fd, ntohs(addr.sin_port), wake[0], wake[1]));
}

LoopbackHttpServer::LoopbackHttpServer(Handler handler, Options options,
                                       int listen_fd, int port, int wake_read,
                                       int wake_write)
    : handler_(std::move(handler)),
      options_(options),
      listen_fd_(listen_fd),
      port_(port),
      wake_read_(wake_read),
      wake_write_(wake_write),
      pool_(options.threads, "http"),
      acceptor_([this] { AcceptLoop(); }) {}

LoopbackHttpServer::~LoopbackHttpServer() {
  stopping_.Notify();
  char b = 0;
  (void)!write(wake_write_, &b, 1);
  acceptor_.join();
  pool_.Shutdown(/*wait=*/true);
  close(listen_fd_);
  close(wake_read_);
  close(wake_write_);
}

std::string LoopbackHttpServer::base_url() const {
  return absl::StrCat("http://127.0.0.1:", port_);
}

void LoopbackHttpServer::AcceptLoop() {
  while (!stopping_.HasBeenNotified()) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0) break;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (!pool_.Submit([this, fd] { Serve(fd); }).ok()) close(fd);
  }
}

void LoopbackHttpServer::Serve(int fd) {
  timeval tv = absl::ToTimeval(options_.header_timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string head;
  char buf[4096];
  size_t end;
  while ((end = head.find("\r\n\r\n")) == std::string::npos) {
    if (head.size() > kMaxHead) {
      SendAll(fd,
              "HTTP/1.1 431 Request Header Fields Too Large\r\n"
              "Content-Length: 0\r\nConnection: close\r\n\r\n");
      close(fd);
      return;
    }
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      close(fd);  // timed out or closed before a whole request head
      return;
    }
    head.append(buf, static_cast<size_t>(n));
  }
  std::optional<HttpRequest> request = ParseHead(head.substr(0, end));
  HttpResponse response;
  if (request) {
    response = handler_(*request);
  } else {
    response.status = 400;
  }
  if (response.delay > absl::ZeroDuration() &&
      stopping_.WaitForNotificationWithTimeout(response.delay)) {
    close(fd);
    return;
  }
  std::string out = absl::StrCat("HTTP/1.1 ", response.status, " ",
                                 HttpReason(response.status), "\r\n");
  for (const auto& [name, value] : response.headers) {
    absl::StrAppend(&out, name, ": ", value, "\r\n");
  }
  absl::StrAppend(&out, "Content-Length: ", response.body.size(),
                  "\r\nConnection: close\r\n\r\n");
  size_t body = response.truncate_body_at
                    ? std::min(*response.truncate_body_at, response.body.size())
                    : response.body.size();
  out.append(response.body, 0, body);
  SendAll(fd, out);
  ++requests_;
  close(fd);
}

}  // namespace concurrency::http
