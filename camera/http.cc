#include "camera/http.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace camera {

absl::StatusOr<HttpRequest> ParseRequestHead(absl::string_view head) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  std::vector<absl::string_view> parts = absl::StrSplit(lines[0], ' ');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty() ||
      parts[1][0] != '/' || !absl::StartsWith(parts[2], "HTTP/1.")) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed request line '", lines[0].substr(0, 100), "'"));
  }
  HttpRequest r;
  r.method = std::string(parts[0]);
  absl::string_view target = parts[1];
  size_t q = target.find('?');
  r.path = std::string(target.substr(0, q));
  if (q != absl::string_view::npos) r.query = std::string(target.substr(q + 1));
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos || colon == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "malformed header line '", lines[i].substr(0, 100), "'"));
    }
    r.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
  }
  return r;
}

absl::StatusOr<HttpRequest> ReadRequestHead(int fd, size_t max_bytes,
                                            absl::Time deadline,
                                            HttpError* error) {
  std::string head;
  char buf[2048];
  while (true) {
    size_t end = head.find("\r\n\r\n");
    if (end != std::string::npos) {
      absl::StatusOr<HttpRequest> r = ParseRequestHead(head.substr(0, end));
      if (!r.ok()) *error = {400, std::string(r.status().message())};
      return r;
    }
    if (head.size() > max_bytes) {
      *error = {431, absl::StrCat("request head over ", max_bytes, " bytes")};
      return absl::ResourceExhaustedError(error->message);
    }
    absl::Duration left = deadline - absl::Now();
    pollfd p{fd, POLLIN, 0};
    int ready =
        left <= absl::ZeroDuration()
            ? 0
            : poll(&p, 1,
                   static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      *error = {408, "request head not complete in time"};
      return absl::DeadlineExceededError(error->message);
    }
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      *error = {0, "client went away"};
      return absl::UnavailableError(error->message);
    }
    head.append(buf, static_cast<size_t>(n));
  }
}

const char* HttpReason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

std::string HttpResponse(int status, absl::string_view content_type,
                         absl::string_view body) {
  return absl::StrCat(
      "HTTP/1.1 ", status, " ", HttpReason(status),
      "\r\nContent-Type: ", content_type, "\r\nContent-Length: ", body.size(),
      "\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n", body);
}

std::string MultipartResponseHead() {
  return absl::StrCat(
      "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace;boundary=",
      kBoundary,
      "\r\nCache-Control: no-cache, no-store\r\nPragma: no-cache\r\n"
      "Connection: close\r\n\r\n");
}

std::string MultipartPartHead(size_t jpeg_size, int64_t frame_number) {
  return absl::StrCat(
      "--", kBoundary,
      "\r\nContent-Type: image/jpeg\r\nContent-Length: ", jpeg_size,
      "\r\nX-Frame-Number: ", frame_number, "\r\n\r\n");
}

bool SendAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;  // EPIPE, ECONNRESET, or the send timeout (EAGAIN)
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace camera
