#include "camera/frame_gate.h"

#include <cstring>

namespace camera {
namespace {

bool SameBytes(const cv::Mat& a, const cv::Mat& b) {
  return !a.empty() && a.size == b.size && a.type() == b.type() &&
         a.isContinuous() && b.isContinuous() &&
         std::memcmp(a.data, b.data, a.total() * a.elemSize()) == 0;
}

}  // namespace

bool FrameGate::Skip(const cv::Mat& frame) {
  if (desired_fps_ > 0 && desired_fps_ < fps_) {
    share_ += desired_fps_ / fps_;
    if (share_ < 1 - 1e-9) {
      skipped_desired_.fetch_add(1);
      return true;
    }
    share_ -= 1;
  }
  if (drop_same_frames_ <= 0) return false;
  if (SameBytes(previous_, frame) && same_in_row_ < drop_same_frames_) {
    ++same_in_row_;
    dropped_same_.fetch_add(1);
    return true;
  }
  same_in_row_ = 0;
  frame.copyTo(previous_);
  return false;
}

}  // namespace camera
