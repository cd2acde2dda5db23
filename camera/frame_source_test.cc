#include "camera/frame_source.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/videoio.hpp"
#include "tools/testing/status_matchers.h"

namespace camera {
namespace {

using ::testing::HasSubstr;
using ::testing_util::IsOk;
using ::testing_util::StatusIs;

cv::Mat ThroughJpeg(const cv::Mat& m, int quality) {
  std::vector<uchar> jpeg;
  cv::imencode(".jpg", m, jpeg, {cv::IMWRITE_JPEG_QUALITY, quality});
  return cv::imdecode(jpeg, cv::IMREAD_COLOR);
}

TEST(TestPattern, FramesCountAndSurviveJpeg) {
  absl::StatusOr<std::unique_ptr<FrameSource>> src =
      MakeFrameSource("test", {.width = 320, .height = 240, .fps = 30});
  ASSERT_THAT(src.status(), IsOk());
  EXPECT_EQ((*src)->Describe(), "test pattern");
  for (int64_t k = 1; k <= 5; ++k) {
    absl::StatusOr<cv::Mat> f = (*src)->Next();
    ASSERT_THAT(f.status(), IsOk());
    EXPECT_EQ(f->cols, 320);
    EXPECT_EQ(f->rows, 240);
    EXPECT_EQ(ReadFrameNumber(*f), k);
    EXPECT_EQ(ReadFrameNumber(ThroughJpeg(*f, 40)), k);
  }
}

TEST(TestPattern, ItMoves) {
  absl::StatusOr<std::unique_ptr<FrameSource>> src =
      MakeFrameSource("test", {});
  ASSERT_THAT(src.status(), IsOk());
  cv::Mat a = *(*src)->Next(), b = *(*src)->Next();
  cv::Rect body(0, 100, a.cols, a.rows - 100);  // below the strip and text
  EXPECT_GT(cv::norm(a(body), b(body), cv::NORM_L1), 0);
}

// The anchors' synthetic capture, pixel for pixel, away from the strip and
// the text: B = x + 4k, G = y + 2k, R = (x + y) / 2 + 3k, mod 256.
TEST(TestPattern, PixelsFollowTheAnchorsFormula) {
  absl::StatusOr<std::unique_ptr<FrameSource>> src =
      MakeFrameSource("test", {.width = 320, .height = 240});
  ASSERT_THAT(src.status(), IsOk());
  for (int k = 1; k <= 3; ++k) {
    absl::StatusOr<cv::Mat> f = (*src)->Next();
    ASSERT_THAT(f.status(), IsOk());
    for (int y : {60, 131, 239}) {
      for (int x : {0, 77, 319}) {
        const cv::Vec3b px = f->at<cv::Vec3b>(y, x);
        EXPECT_EQ(px[0], (x + 4 * k) % 256) << x << "," << y << " k=" << k;
        EXPECT_EQ(px[1], (y + 2 * k) % 256) << x << "," << y << " k=" << k;
        EXPECT_EQ(px[2], ((x + y) / 2 + 3 * k) % 256)
            << x << "," << y << " k=" << k;
      }
    }
  }
}

// The source draws into a released frame's buffer, never into one the
// caller still holds.
TEST(TestPattern, HeldFramesKeepTheirPixels) {
  absl::StatusOr<std::unique_ptr<FrameSource>> src =
      MakeFrameSource("test", {.width = 320, .height = 240});
  ASSERT_THAT(src.status(), IsOk());
  cv::Mat first = *(*src)->Next();
  const cv::Mat copy = first.clone();
  for (int k = 2; k <= 4; ++k) {
    cv::Mat next = *(*src)->Next();  // released at once: may be reused
    EXPECT_EQ(ReadFrameNumber(next), k);
  }
  EXPECT_EQ(cv::norm(first, copy, cv::NORM_INF), 0);
  EXPECT_EQ(ReadFrameNumber(first), 1);
}

TEST(FileSource, PlaysAVideoFileAndLoops) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/clip.avi");
  {
    absl::StatusOr<std::unique_ptr<FrameSource>> pattern =
        MakeFrameSource("test", {.width = 320, .height = 240, .fps = 30});
    cv::VideoWriter out(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 30,
                        cv::Size(320, 240));
    ASSERT_TRUE(out.isOpened());
    for (int i = 0; i < 3; ++i) out.write(*(*pattern)->Next());
  }
  absl::StatusOr<std::unique_ptr<FrameSource>> src =
      MakeFrameSource(absl::StrCat("file:", path), {});
  ASSERT_THAT(src.status(), IsOk());
  std::vector<int64_t> numbers;
  for (int i = 0; i < 7; ++i) {
    absl::StatusOr<cv::Mat> f = (*src)->Next();
    ASSERT_THAT(f.status(), IsOk());
    numbers.push_back(ReadFrameNumber(*f));
  }
  EXPECT_EQ(numbers, (std::vector<int64_t>{1, 2, 3, 1, 2, 3, 1}));
}

TEST(FrameSources, BadSpecsAreClearErrors) {
  EXPECT_THAT(
      MakeFrameSource("file:/no/such/clip.avi", {}).status(),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("/no/such/clip.avi")));
  EXPECT_THAT(MakeFrameSource("camera:x", {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeFrameSource("webcam", {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expected camera:N, file:PATH or test")));
  // No machine running this test has 100 cameras.
  EXPECT_THAT(MakeFrameSource("camera:99", {}).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("camera 99")));
}

TEST(FrameSources, ReadFrameNumberRejectsOtherImages) {
  cv::Mat grey(240, 320, CV_8UC3, cv::Scalar(128, 128, 128));
  EXPECT_EQ(ReadFrameNumber(grey), -1);
  EXPECT_EQ(ReadFrameNumber(cv::Mat()), -1);
}

}  // namespace
}  // namespace camera
