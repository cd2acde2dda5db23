#include "camera/mjpeg.h"

#include "absl/strings/str_cat.h"

namespace camera {

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

}  // namespace camera
