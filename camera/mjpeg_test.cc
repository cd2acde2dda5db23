#include "camera/mjpeg.h"

#include "concurrency/http/response.h"
#include "concurrency/io/scoped_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace camera {
namespace {

TEST(MultipartTest, HeadAndPartsAreExact) {
  concurrency::http::HttpResponse stream = MultipartResponse();
  stream.stream = [](concurrency::io::ScopedFd) {};
  EXPECT_EQ(concurrency::http::SerializeResponseHead(
                stream, concurrency::http::ConnectionHeader::kKeepAlive),
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: multipart/x-mixed-replace;boundary=frame\r\n"
            "Cache-Control: no-cache, no-store\r\nPragma: no-cache\r\n"
            "Connection: close\r\n\r\n");
  EXPECT_EQ(MultipartPartHead(1234, 7),
            "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: 1234\r\n"
            "X-Frame-Number: 7\r\n\r\n");
  EXPECT_EQ(kPartEnd, "\r\n");
}

}  // namespace
}  // namespace camera
