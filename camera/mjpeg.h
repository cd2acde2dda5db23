// MJPEG over HTTP: the bytes of a multipart/x-mixed-replace stream.
//
// The response (`MultipartResponse`, an HttpResponse whose head the one HTTP
// writer sends, like every other) announces
// `multipart/x-mixed-replace;boundary=frame`;
// each part is `--frame`, its headers (`Content-Type: image/jpeg`,
// `Content-Length`, `X-Frame-Number`), a blank line, the JPEG, and CRLF (the
// tutorial's stream lacked that CRLF). Requests are read and answered by
// //concurrency/http; only the stream's own framing lives here.
#ifndef CAMERA_MJPEG_H_
#define CAMERA_MJPEG_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "concurrency/http/response.h"

namespace camera {

inline constexpr absl::string_view kBoundary = "frame";
inline constexpr absl::string_view kPartEnd = "\r\n";

// A multipart/x-mixed-replace response, without its stream: the caller sets
// `stream` (response.h) to the code that writes the parts.
concurrency::http::HttpResponse MultipartResponse();

// The headers of one part (boundary line included); the JPEG and kPartEnd
// follow.
std::string MultipartPartHead(size_t jpeg_size, int64_t frame_number);

}  // namespace camera

#endif  // CAMERA_MJPEG_H_
