#include "camera/frame_gate.h"

#include <string>

#include "gtest/gtest.h"
#include "opencv2/core.hpp"

namespace camera {
namespace {

cv::Mat Solid(int v) { return cv::Mat(48, 64, CV_8UC3, cv::Scalar(v, v, v)); }

// Which of `frames` pass, as a string of 'x' (kept) and '.' (dropped).
std::string Kept(FrameGate& gate, const std::vector<cv::Mat>& frames) {
  std::string out;
  for (const cv::Mat& f : frames) out += gate.Skip(f) ? '.' : 'x';
  return out;
}

TEST(FrameGateTest, DesiredFpsKeepsAFixedShare) {
  FrameGate gate(30, 10, 0);
  std::vector<cv::Mat> frames;
  for (int i = 0; i < 9; ++i) frames.push_back(Solid(i));
  EXPECT_EQ(Kept(gate, frames), "..x..x..x");
  EXPECT_EQ(gate.skipped_for_desired_fps(), 6);
  FrameGate all(30, 0, 0);
  EXPECT_EQ(Kept(all, frames), "xxxxxxxxx");
  FrameGate above(30, 60, 0);  // more than captured: all
  EXPECT_EQ(Kept(above, frames), "xxxxxxxxx");
}

TEST(FrameGateTest, DropsAtMostNSameFramesInARow) {
  FrameGate gate(30, 0, 3);
  std::vector<cv::Mat> frames(9, Solid(7));
  frames.push_back(Solid(8));  // a change is always kept
  frames.push_back(Solid(8));
  EXPECT_EQ(Kept(gate, frames), "x...x...xx.");
  EXPECT_EQ(gate.dropped_same(), 7);
  FrameGate one(30, 0, 1);  // at most one in a row
  EXPECT_EQ(Kept(one, std::vector<cv::Mat>(5, Solid(7))), "x.x.x");
  FrameGate off(30, 0, 0);
  EXPECT_EQ(Kept(off, std::vector<cv::Mat>(4, Solid(7))), "xxxx");
}

}  // namespace
}  // namespace camera
