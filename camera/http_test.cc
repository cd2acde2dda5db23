#include "camera/http.h"

#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"

namespace camera {
namespace {

using ::testing::HasSubstr;
using ::testing_util::IsOk;

TEST(ParseRequestHead, RequestLineAndHeaders) {
  absl::StatusOr<HttpRequest> r = ParseRequestHead(
      "GET /stream?x=1 HTTP/1.1\r\nHost: a\r\nX-Thing:  v \r\n");
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->path, "/stream");
  EXPECT_EQ(r->query, "x=1");
  EXPECT_EQ(r->headers["host"], "a");
  EXPECT_EQ(r->headers["x-thing"], "v");
}

TEST(ParseRequestHead, MalformedIsAnError) {
  for (const char* bad : {"GET", "GET stream HTTP/1.1", "GET / SPDY/3",
                          "GET / HTTP/1.1\r\nno colon here"}) {
    EXPECT_FALSE(ParseRequestHead(bad).ok()) << bad;
  }
}

// A connected socket pair: what the test writes to `client` the server side
// reads from `server`.
struct Pair {
  Pair() { socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds); }
  ~Pair() {
    close(fds[0]);
    close(fds[1]);
  }
  int client() const { return fds[0]; }
  int server() const { return fds[1]; }
  int fds[2];
};

TEST(ReadRequestHead, ReadsAHeadSentInPieces) {
  Pair p;
  SendAll(p.client(), "GET / HT");
  SendAll(p.client(), "TP/1.1\r\nHost: x\r\n\r\n");
  HttpError e{-1, ""};
  absl::StatusOr<HttpRequest> r =
      ReadRequestHead(p.server(), 8192, absl::Now() + absl::Seconds(30), &e);
  ASSERT_THAT(r.status(), IsOk());
  EXPECT_EQ(r->path, "/");
}

TEST(ReadRequestHead, OversizedHeadIs431) {
  Pair p;
  std::string big = "GET / HTTP/1.1\r\nX: " + std::string(20000, 'a');
  std::thread writer([&] { SendAll(p.client(), big); });
  HttpError e{-1, ""};
  EXPECT_FALSE(
      ReadRequestHead(p.server(), 8192, absl::Now() + absl::Seconds(30), &e)
          .ok());
  EXPECT_EQ(e.status, 431);
  shutdown(p.server(), SHUT_RDWR);
  writer.join();
}

TEST(ReadRequestHead, SlowHeadIs408WithinTheDeadline) {
  Pair p;
  SendAll(p.client(), "GET / HTTP/1.1\r\n");  // and then nothing
  HttpError e{-1, ""};
  EXPECT_FALSE(ReadRequestHead(p.server(), 8192,
                               absl::Now() + absl::Milliseconds(50), &e)
                   .ok());
  EXPECT_EQ(e.status, 408);
}

TEST(ReadRequestHead, VanishedClientAnswersNothing) {
  Pair p;
  SendAll(p.client(), "GET / HT");
  shutdown(p.client(), SHUT_WR);
  HttpError e{-1, ""};
  EXPECT_FALSE(
      ReadRequestHead(p.server(), 8192, absl::Now() + absl::Seconds(30), &e)
          .ok());
  EXPECT_EQ(e.status, 0);
}

TEST(Multipart, HeadAndPartsAreExact) {
  EXPECT_THAT(
      MultipartResponseHead(),
      HasSubstr("Content-Type: multipart/x-mixed-replace;boundary=frame\r\n"));
  EXPECT_EQ(MultipartPartHead(1234, 7),
            "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: 1234\r\n"
            "X-Frame-Number: 7\r\n\r\n");
  EXPECT_EQ(HttpResponse(404, "text/plain", "no\n"),
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
            "Content-Length: 3\r\nCache-Control: no-cache\r\n"
            "Connection: close\r\n\r\nno\n");
}

}  // namespace
}  // namespace camera
