#include "camera/jpeg_check.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "tools/testing/status_matchers.h"

namespace camera {
namespace {

using ::testing::HasSubstr;
using ::testing_util::IsOk;
using ::testing_util::StatusIs;

std::string Jpeg(int width, int height) {
  cv::Mat picture(height, width, CV_8UC3);
  cv::randu(picture, cv::Scalar::all(0), cv::Scalar::all(256));
  std::vector<uchar> bytes;
  EXPECT_TRUE(cv::imencode(".jpg", picture, bytes));
  return std::string(bytes.begin(), bytes.end());
}

TEST(CheckJpegTest, AWholeJpegIsAcceptedWithItsSize) {
  const std::string jpeg = Jpeg(64, 48);
  absl::StatusOr<JpegInfo> info = CheckJpeg(jpeg);
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->width, 64);
  EXPECT_EQ(info->height, 48);
  EXPECT_EQ(info->size, jpeg.size());
}

// A camera's buffer may hold zero padding after the image: it is not part
// of the JPEG, and the size says where the JPEG ends.
TEST(CheckJpegTest, ZeroPaddingAfterTheImageIsNotPartOfIt) {
  const std::string jpeg = Jpeg(32, 32);
  absl::StatusOr<JpegInfo> info = CheckJpeg(jpeg + std::string(100, '\0'));
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->size, jpeg.size());
  EXPECT_THAT(CheckJpeg(jpeg + "x").status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("no EOI")));
}

// Cut anywhere, a JPEG is refused: in its headers, in its compressed data,
// or just before its last byte.
TEST(CheckJpegTest, ATruncatedJpegIsRefusedWhereverItIsCut) {
  const std::string jpeg = Jpeg(64, 48);
  for (size_t cut = 0; cut < jpeg.size(); ++cut) {
    EXPECT_FALSE(CheckJpeg(jpeg.substr(0, cut)).ok()) << "cut at " << cut;
  }
}

TEST(CheckJpegTest, WhatIsNotAJpegIsRefusedNamingWhere) {
  EXPECT_THAT(CheckJpeg("").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("no SOI marker at byte 0")));
  EXPECT_THAT(
      CheckJpeg("GIF89a....").status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no SOI")));
  std::string jpeg = Jpeg(16, 16);
  jpeg[2] = 'x';  // where the first marker belongs
  EXPECT_THAT(CheckJpeg(jpeg).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("a byte where a marker belongs at byte 2")));
  // SOI, then straight to a scan: no frame header.
  EXPECT_THAT(
      CheckJpeg(std::string("\xFF\xD8\xFF\xDA\x00\x02\xFF\xD9", 8)).status(),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("a scan before any frame header")));
}

}  // namespace
}  // namespace camera
