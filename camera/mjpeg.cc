#include "camera/mjpeg.h"

#include "absl/strings/str_cat.h"

namespace camera {

concurrency::http::HttpResponse MultipartResponse() {
  concurrency::http::HttpResponse r;
  r.content_type =
      absl::StrCat("multipart/x-mixed-replace;boundary=", kBoundary);
  r.headers = {{"Cache-Control", "no-cache, no-store"}, {"Pragma", "no-cache"}};
  return r;
}

std::string MultipartPartHead(size_t jpeg_size, int64_t frame_number) {
  return absl::StrCat(
      "--", kBoundary,
      "\r\nContent-Type: image/jpeg\r\nContent-Length: ", jpeg_size,
      "\r\nX-Frame-Number: ", frame_number, "\r\n\r\n");
}

}  // namespace camera
