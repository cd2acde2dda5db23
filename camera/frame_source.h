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
// Errors name the source: a camera that does not open, a file that does not
// open or holds no frame. Sources are not thread-safe: one capture thread
// reads one source.
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

class FrameSource {
 public:
  virtual ~FrameSource() = default;
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
};

absl::StatusOr<std::unique_ptr<FrameSource>> MakeFrameSource(
    absl::string_view spec, const SourceOptions& options);

// The frame number in a test pattern's corner strip (decoded from a JPEG
// too); -1 if the strip is not there.
int64_t ReadFrameNumber(const cv::Mat& bgr);

}  // namespace camera

#endif  // CAMERA_FRAME_SOURCE_H_
