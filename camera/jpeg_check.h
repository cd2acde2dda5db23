// CheckJpeg: whether bytes from a camera or a video file are a whole JPEG,
// before they are sent to clients as they are (MJPEG passthrough).
//
// A camera that gives MJPEG hands over whatever its encoder produced: a frame
// cut short by a USB hiccup, a buffer with padding after the image, now and
// then garbage. CheckJpeg walks the JPEG's markers from SOI through the
// frame header (SOF) to the start of scan (SOS) and requires an EOI marker
// at the end, past which only zero bytes (padding) may follow. It does not
// decode the compressed data: that would cost what passthrough saves.
//
//   absl::StatusOr<JpegInfo> info = CheckJpeg(bytes);
//   if (info.ok()) Send(bytes.substr(0, info->size));  // padding dropped
//
// Errors are InvalidArgument (DataLoss for a truncated frame), naming the
// byte offset. Thread-safe (no state).
#ifndef CAMERA_JPEG_CHECK_H_
#define CAMERA_JPEG_CHECK_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace camera {

struct JpegInfo {
  int width = 0;
  int height = 0;
  size_t size = 0;  // bytes through the EOI marker
};

absl::StatusOr<JpegInfo> CheckJpeg(absl::string_view jpeg);

}  // namespace camera

#endif  // CAMERA_JPEG_CHECK_H_
