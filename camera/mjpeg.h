// MJPEG over HTTP: the bytes of a multipart/x-mixed-replace stream.
//
// The response head announces `multipart/x-mixed-replace; boundary=frame`;
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

namespace camera {

inline constexpr absl::string_view kBoundary = "frame";
inline constexpr absl::string_view kPartEnd = "\r\n";

// The head of a multipart/x-mixed-replace response.
std::string MultipartResponseHead();

// The headers of one part (boundary line included); the JPEG and kPartEnd
// follow.
std::string MultipartPartHead(size_t jpeg_size, int64_t frame_number);

}  // namespace camera

#endif  // CAMERA_MJPEG_H_
