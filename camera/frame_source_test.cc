#include "camera/frame_source.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "camera/mjpeg_clip.h"
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

TEST(TestPatternTest, FramesCountAndSurviveJpeg) {
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

TEST(TestPatternTest, ItMoves) {
  absl::StatusOr<std::unique_ptr<FrameSource>> src =
      MakeFrameSource("test", {});
  ASSERT_THAT(src.status(), IsOk());
  cv::Mat a = *(*src)->Next(), b = *(*src)->Next();
  cv::Rect body(0, 100, a.cols, a.rows - 100);  // below the strip and text
  EXPECT_GT(cv::norm(a(body), b(body), cv::NORM_L1), 0);
}

// The anchors' synthetic capture, pixel for pixel, away from the strip and
// the text: B = x + 4k, G = y + 2k, R = (x + y) / 2 + 3k, mod 256.
TEST(TestPatternTest, PixelsFollowTheAnchorsFormula) {
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

// The strip, as documented: bit b of the frame number is the 8x8 block at
// x = 8b, y = 0, white for 1 and black for 0; the row below it is the
// gradient again. A frame narrower than the strip is widened to hold it.
TEST(TestPatternTest, TheStripIsThirtyTwoBlocksOfEightPixels) {
  absl::StatusOr<std::unique_ptr<FrameSource>> src =
      MakeFrameSource("test", {.width = 100, .height = 10});
  ASSERT_THAT(src.status(), IsOk());
  for (int k = 1; k <= 6; ++k) {
    absl::StatusOr<cv::Mat> f = (*src)->Next();
    ASSERT_THAT(f.status(), IsOk());
    ASSERT_EQ(f->cols, 32 * 8);
    ASSERT_EQ(f->rows, 64);
    for (int b = 0; b < 32; ++b) {
      const cv::Vec3b want =
          (k >> b) & 1 ? cv::Vec3b(255, 255, 255) : cv::Vec3b(0, 0, 0);
      for (const auto& [x, y] : {std::pair{8 * b, 0}, {8 * b + 7, 7}}) {
        EXPECT_EQ(f->at<cv::Vec3b>(y, x), want) << "k=" << k << " b=" << b;
      }
      const int x = 8 * b + 3;
      EXPECT_EQ(f->at<cv::Vec3b>(8, x)[1], (8 + 2 * k) % 256)
          << "k=" << k << " b=" << b;
    }
  }
}

// The source draws into a released frame's buffer, never into one the
// caller still holds.
TEST(TestPatternTest, HeldFramesKeepTheirPixels) {
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

// Frames 1 to 3 of the 320x240 test pattern, as an MJPEG .avi at `path`.
bool WriteThreeFrameClip(const std::string& path) {
  absl::StatusOr<std::unique_ptr<FrameSource>> pattern =
      MakeFrameSource("test", {.width = 320, .height = 240, .fps = 30});
  cv::VideoWriter out(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 30,
                      cv::Size(320, 240));
  if (!pattern.ok() || !out.isOpened()) return false;
  for (int i = 0; i < 3; ++i) out.write(*(*pattern)->Next());
  return true;
}

TEST(FileSourceTest, PlaysAVideoFileAndLoops) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/clip.avi");
  ASSERT_TRUE(WriteThreeFrameClip(path));
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

// A file source reopens its file from the start; when the file is gone,
// reopening is an error naming it (the capturer then keeps NO SIGNAL up and
// tries again), not a source that silently gives nothing.
TEST(FileSourceTest, ReopeningAFileThatIsGoneIsUnavailable) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/gone.avi");
  ASSERT_TRUE(WriteThreeFrameClip(path));
  absl::StatusOr<std::unique_ptr<FrameSource>> src =
      MakeFrameSource(absl::StrCat("file:", path), {});
  ASSERT_THAT(src.status(), IsOk());
  ASSERT_THAT((*src)->Next().status(), IsOk());
  ASSERT_THAT((*src)->Next().status(), IsOk());
  ASSERT_THAT((*src)->Reopen(), IsOk());
  absl::StatusOr<cv::Mat> first = (*src)->Next();
  ASSERT_THAT(first.status(), IsOk());
  EXPECT_EQ(ReadFrameNumber(*first), 1);
  ASSERT_EQ(std::remove(path.c_str()), 0);
  EXPECT_THAT((*src)->Reopen(), StatusIs(absl::StatusCode::kUnavailable,
                                         HasSubstr("does not open")));
}

// An MJPEG file's frames come out as the JPEGs that went in, byte for byte
// (ffmpeg -c copy changes no marker: compared whole), looping; as pictures
// when pictures are asked for.
TEST(FileSourceTest, AnMjpegFileGivesItsJpegFramesAsTheyAre) {
  const std::string dir = ::testing::TempDir() + "/mjpeg_as_is";
  ASSERT_EQ(system(("mkdir -p '" + dir + "'").c_str()), 0);
  absl::StatusOr<MjpegClip> clip = MakeMjpegClip(dir, 3);
  ASSERT_THAT(clip.status(), IsOk());
  for (FormatRequest format : {FormatRequest::kMjpeg, FormatRequest::kAuto}) {
    absl::StatusOr<std::unique_ptr<FrameSource>> src =
        MakeFrameSource("file:" + clip->path, {.format = format});
    ASSERT_THAT(src.status(), IsOk());
    EXPECT_EQ((*src)->format(), FrameFormat::kJpeg);
    for (int i = 0; i < 7; ++i) {
      absl::StatusOr<cv::Mat> f = (*src)->Next();
      ASSERT_THAT(f.status(), IsOk());
      ASSERT_EQ(f->type(), CV_8UC1);
      EXPECT_EQ(std::string(reinterpret_cast<const char*>(f->data), f->total()),
                clip->jpegs[i % 3])
          << "frame " << i;
    }
  }
  absl::StatusOr<std::unique_ptr<FrameSource>> raw =
      MakeFrameSource("file:" + clip->path, {.format = FormatRequest::kRaw});
  ASSERT_THAT(raw.status(), IsOk());
  EXPECT_EQ((*raw)->format(), FrameFormat::kPicture);
  EXPECT_EQ(ReadFrameNumber(*(*raw)->Next()), 1);
}

TEST(FrameSourcesTest, MjpegIsRefusedWhereThereIsNone) {
  EXPECT_THAT(
      MakeFrameSource("test", {.format = FormatRequest::kMjpeg}).status(),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("the test pattern has no MJPEG frames")));
  absl::StatusOr<std::unique_ptr<FrameSource>> pattern = MakeFrameSource(
      "test", {.width = 320, .height = 240, .format = FormatRequest::kAuto});
  ASSERT_THAT(pattern.status(), IsOk());
  EXPECT_EQ((*pattern)->format(), FrameFormat::kPicture);

  const std::string path = ::testing::TempDir() + "/ffv1.avi";
  {
    cv::VideoWriter out(path, cv::CAP_FFMPEG,
                        cv::VideoWriter::fourcc('F', 'F', 'V', '1'), 30,
                        cv::Size(320, 240));
    ASSERT_TRUE(out.isOpened());
    for (int i = 0; i < 2; ++i) out.write(*(*pattern)->Next());
  }
  EXPECT_THAT(MakeFrameSource("file:" + path, {.format = FormatRequest::kMjpeg})
                  .status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("holds FFV1 video, not MJPEG")));
  absl::StatusOr<std::unique_ptr<FrameSource>> auto_file =
      MakeFrameSource("file:" + path, {.format = FormatRequest::kAuto});
  ASSERT_THAT(auto_file.status(), IsOk());
  EXPECT_EQ((*auto_file)->format(), FrameFormat::kPicture);
}

TEST(FrameSourcesTest, FormatsParseAsUstreamerNamesThem) {
  EXPECT_EQ(ParseFormatRequest("auto").value_or(FormatRequest::kRaw),
            FormatRequest::kAuto);
  EXPECT_EQ(ParseFormatRequest("mjpeg").value_or(FormatRequest::kRaw),
            FormatRequest::kMjpeg);
  EXPECT_EQ(ParseFormatRequest("raw").value_or(FormatRequest::kAuto),
            FormatRequest::kRaw);
  EXPECT_THAT(ParseFormatRequest("yuyv").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("\"yuyv\": expected auto, mjpeg or raw")));
}

TEST(FrameSourcesTest, BadSpecsAreClearErrors) {
  EXPECT_THAT(
      MakeFrameSource("file:/no/such/clip.avi", {}).status(),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("/no/such/clip.avi")));
  EXPECT_THAT(MakeFrameSource("camera:x", {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeFrameSource("webcam", {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("expected camera:N, file:PATH or test")));
  // No machine running this test has 100 cameras. With --format=auto the
  // MJPEG probe finds none, and the raw capture tells why: no such camera.
  EXPECT_THAT(MakeFrameSource("camera:99", {}).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("camera 99")));
  EXPECT_THAT(
      MakeFrameSource("camera:99", {.format = FormatRequest::kAuto}).status(),
      StatusIs(absl::StatusCode::kNotFound,
               HasSubstr("camera 99 does not open")));
  // Camera indices count from 0: camera:0 is a camera (opened where there
  // is one), camera:-1 is no index.
  absl::Status first = MakeFrameSource("camera:0", {}).status();
  EXPECT_TRUE(first.ok() || (absl::IsNotFound(first) &&
                             absl::StrContains(first.message(), "camera 0")))
      << first;
  EXPECT_THAT(MakeFrameSource("camera:-1", {}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a camera index")));
}

TEST(FrameSourcesTest, ReadFrameNumberRejectsOtherImages) {
  cv::Mat grey(240, 320, CV_8UC3, cv::Scalar(128, 128, 128));
  EXPECT_EQ(ReadFrameNumber(grey), -1);
  EXPECT_EQ(ReadFrameNumber(cv::Mat()), -1);
}

}  // namespace
}  // namespace camera
