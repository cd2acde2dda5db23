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
// or just before its last byte. Past its SOI marker, it is refused as cut
// short (DataLoss), not as something else: even between the two bytes of a
// segment's length.
TEST(CheckJpegTest, ATruncatedJpegIsRefusedWhereverItIsCut) {
  const std::string jpeg = Jpeg(64, 48);
  for (size_t cut = 0; cut < 4; ++cut) {
    EXPECT_THAT(CheckJpeg(jpeg.substr(0, cut)).status(),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << "cut at " << cut;
  }
  for (size_t cut = 4; cut < jpeg.size(); ++cut) {
    EXPECT_THAT(CheckJpeg(jpeg.substr(0, cut)).status(),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr("cut short")))
        << "cut at " << cut;
  }
}

// The EOI marker comes after the scan's header, whole: a scan header whose
// last byte is 0xFF, followed by the single byte 0xD9, holds no EOI.
TEST(CheckJpegTest, AnEoiCannotBorrowTheScanHeadersLastByte) {
  const std::string jpeg = Jpeg(16, 16);
  const size_t sos = jpeg.find("\xFF\xDA");
  ASSERT_NE(sos, std::string::npos);
  const size_t length = static_cast<unsigned char>(jpeg[sos + 2]) << 8 |
                        static_cast<unsigned char>(jpeg[sos + 3]);
  const size_t scan = sos + 2 + length;  // first byte after the header
  std::string forged = jpeg.substr(0, scan);
  forged.back() = '\xFF';
  forged.push_back('\xD9');
  EXPECT_THAT(CheckJpeg(forged).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("no EOI")));
  // With one byte of data between them the EOI is whole, and accepted.
  forged.back() = '\x00';
  forged += "\xFF\xD9";
  EXPECT_THAT(CheckJpeg(forged), IsOk());
}

// TEM (0xFF01) and RST0-7 stand alone: no length follows them. Other
// markers before the scan carry a length, and are skipped by it.
TEST(CheckJpegTest, MarkersThatStandAloneHaveNoLength) {
  const std::string jpeg = Jpeg(16, 16);
  const std::string tem = "\xFF\xD8\xFF\x01" + jpeg.substr(2);
  EXPECT_THAT(CheckJpeg(tem), IsOk());
  // A reserved marker with a 4-byte segment: skipped by its length.
  const std::string reserved =
      std::string("\xFF\xD8\xFF\x02\x00\x04\xAB\xCD", 8) + jpeg.substr(2);
  EXPECT_THAT(CheckJpeg(reserved), IsOk());
}

// An EOI or a second SOI before the scan is a misplaced marker.
TEST(CheckJpegTest, AMarkerOutOfPlaceBeforeTheScanIsRefused) {
  const std::string jpeg = Jpeg(16, 16);
  EXPECT_THAT(CheckJpeg("\xFF\xD8\xFF\xD9" + jpeg.substr(2)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("misplaced marker before the start of scan "
                                 "at byte 3")));
  EXPECT_THAT(CheckJpeg("\xFF\xD8\xFF\xD8" + jpeg.substr(2)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("misplaced marker")));
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
  // A frame header of no width, or of no height.
  for (size_t dimension : {3, 5}) {  // height, width: after SOFn's length
    std::string flat = Jpeg(16, 16);
    const size_t sof = flat.find("\xFF\xC0") + 2;
    flat[sof + dimension] = 0;
    flat[sof + dimension + 1] = 0;
    EXPECT_THAT(CheckJpeg(flat).status(),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("a frame of no width or height")))
        << dimension;
  }
}

}  // namespace
}  // namespace camera
