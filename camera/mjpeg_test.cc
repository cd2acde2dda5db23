#include "camera/mjpeg.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace camera {
namespace {

using ::testing::HasSubstr;

TEST(Multipart, HeadAndPartsAreExact) {
  EXPECT_THAT(
      MultipartResponseHead(),
      HasSubstr("Content-Type: multipart/x-mixed-replace;boundary=frame\r\n"));
  EXPECT_EQ(MultipartPartHead(1234, 7),
            "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: 1234\r\n"
            "X-Frame-Number: 7\r\n\r\n");
  EXPECT_EQ(kPartEnd, "\r\n");
}

}  // namespace
}  // namespace camera
