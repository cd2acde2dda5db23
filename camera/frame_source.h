// Frame sources behind one interface: a camera, a video file (looping), and
// a generated test pattern, so that every feature works where no camera is.
//
//   MakeFrameSource("camera:0" | "file:PATH" | "test", options)
//
// (The streamer's `--source=auto`, camera 0 else the test pattern, is its
// main's choice: a library does not decide what to tell the user.)
// The test pattern is a moving colour gradient (the Python anchors' synthetic
// capture: B = x + 4k, G = y + 2k, R = (x + y) / 2 + 3k, mod 256) with the
// frame number and the time drawn on it, and the frame number also written
// as a strip of 32 black/white 8x8 blocks in the top-left corner, which
// survives JPEG and lets tests and the load client check what they received
// (`ReadFrameNumber`).
//
// Formats (ustreamer's --format). Most USB cameras, and MJPEG video files,
// hold JPEG frames already. With `FormatRequest::kMjpeg` a source hands them
// over as they are, undecoded (a camera asked for the MJPG fourcc with
// CAP_PROP_CONVERT_RGB off; a file read in OpenCV's raw packet mode), so the
// streamer sends them with no decode and no encode; `kAuto` does that where
// the source has JPEG frames and gives pictures elsewhere; `kRaw` always
// gives pictures. `format()` says which a source gives; a JPEG frame is a
// 1-row CV_8UC1 Mat of its bytes, OpenCV's raw form.
//
// Errors name the source: a camera that does not open, a file that does not
// open or holds no frame, a source asked for MJPEG that has none. Sources
// are not thread-safe: one capture thread reads one source.
#ifndef CAMERA_FRAME_SOURCE_H_
#define CAMERA_FRAME_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "opencv2/core.hpp"

namespace camera {

enum class FrameFormat { kPicture, kJpeg };
enum class FormatRequest { kAuto, kMjpeg, kRaw };

// "auto", "mjpeg" or "raw"; InvalidArgument naming the text otherwise.
absl::StatusOr<FormatRequest> ParseFormatRequest(absl::string_view text);

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // Pictures (BGR Mats) to encode, or JPEG frames to send as they are.
  virtual FrameFormat format() const { return FrameFormat::kPicture; }
  // The next BGR frame. A camera blocks until it has one; the others return
  // at once (the capture loop paces them).
  virtual absl::StatusOr<cv::Mat> Next() = 0;
  // "camera:0", "file:clip.avi", "test pattern".
  virtual std::string Describe() const = 0;
  // Opens the source again after Next() failed: a camera plugged back in, a
  // file back in place. The test pattern never fails and has nothing to do.
  virtual absl::Status Reopen() { return absl::OkStatus(); }
};

struct SourceOptions {
  int width = 640;
  int height = 480;
  double fps = 30;
  FormatRequest format = FormatRequest::kRaw;
};

absl::StatusOr<std::unique_ptr<FrameSource>> MakeFrameSource(
    absl::string_view spec, const SourceOptions& options);

// The frame number in a test pattern's corner strip (decoded from a JPEG
// too); -1 if the strip is not there.
int64_t ReadFrameNumber(const cv::Mat& bgr);

}  // namespace camera

#endif  // CAMERA_FRAME_SOURCE_H_
