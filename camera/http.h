// The small part of HTTP/1.1 the streamer speaks: reading a request head
// within limits, and writing responses and multipart/x-mixed-replace parts.
//
// `ReadRequestHead` reads from a socket until the blank line that ends the
// head, refusing a head larger than `max_bytes` (HTTP 431) or not complete
// by `deadline` (HTTP 408): a slow or hostile client costs a bounded time and
// memory. `ParseRequestHead` checks the request line ("GET /path HTTP/1.1")
// and lower-cases header names; anything else is a 400.
//
// MJPEG: the response head announces `multipart/x-mixed-replace;
// boundary=frame`; each part is `--frame`, its headers (`Content-Type:
// image/jpeg`, `Content-Length`, `X-Frame-Number`), a blank line, the JPEG,
// and CRLF (the tutorial's stream lacked that CRLF).
#ifndef CAMERA_HTTP_H_
#define CAMERA_HTTP_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace camera {

struct HttpRequest {
  std::string method;
  std::string path;  // without the query
  std::string query;
  absl::flat_hash_map<std::string, std::string> headers;  // lower-case names
};

// An HTTP error to answer with: a status code and a reason.
struct HttpError {
  int status;
  std::string message;
};

absl::StatusOr<HttpRequest> ParseRequestHead(absl::string_view head);

// Reads a request head (through "\r\n\r\n") from `fd`. On failure, `error`
// says what to answer: 431 (too large), 408 (too slow), 400 (malformed);
// `status` 0 means the client went away and nothing should be sent.
absl::StatusOr<HttpRequest> ReadRequestHead(int fd, size_t max_bytes,
                                            absl::Time deadline,
                                            HttpError* error);

// A complete response with a body.
std::string HttpResponse(int status, absl::string_view content_type,
                         absl::string_view body);

const char* HttpReason(int status);

inline constexpr absl::string_view kBoundary = "frame";

// The head of a multipart/x-mixed-replace response.
std::string MultipartResponseHead();

// The headers of one part (boundary line included); the JPEG and "\r\n"
// follow.
std::string MultipartPartHead(size_t jpeg_size, int64_t frame_number);

// Sends all of `data`, without SIGPIPE; false if the peer is gone or the
// socket's send timeout expired.
bool SendAll(int fd, absl::string_view data);

}  // namespace camera

#endif  // CAMERA_HTTP_H_
