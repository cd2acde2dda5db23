// FrameGate: which captured frames are worth encoding and sending.
//
// - `desired_fps` below the capture rate `fps` keeps that share of frames in
//   a fixed pattern (10 of 30: every third), so encoding costs what the
//   viewers get, not what the camera delivers.
// - `drop_same_frames` N > 0 drops a frame identical to the previous kept
//   one, at most N in a row (ustreamer's --drop-same-frames): a still scene
//   costs no encoding and no bandwidth, and a viewer still gets a frame at
//   least every N + 1 captures, so a stalled-looking stream is told from a
//   dead one.
//
// Thread-compatible: the capture thread calls Skip(); the counters may be
// read from any thread.
#ifndef CAMERA_FRAME_GATE_H_
#define CAMERA_FRAME_GATE_H_

#include <atomic>
#include <cstdint>

#include "opencv2/core.hpp"

namespace camera {

class FrameGate {
 public:
  FrameGate(double fps, double desired_fps, int drop_same_frames)
      : fps_(fps),
        desired_fps_(desired_fps),
        drop_same_frames_(drop_same_frames) {}

  // True if `frame` is to be dropped before encoding.
  bool Skip(const cv::Mat& frame);

  int64_t skipped_for_desired_fps() const { return skipped_desired_.load(); }
  int64_t dropped_same() const { return dropped_same_.load(); }

 private:
  const double fps_;
  const double desired_fps_;
  const int drop_same_frames_;
  double share_ = 0;
  cv::Mat previous_;
  int same_in_row_ = 0;
  std::atomic<int64_t> skipped_desired_{0};
  std::atomic<int64_t> dropped_same_{0};
};

}  // namespace camera

#endif  // CAMERA_FRAME_GATE_H_
