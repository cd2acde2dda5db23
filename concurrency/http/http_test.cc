#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "concurrency/http/head_reader.h"
#include "concurrency/http/misbehaving_server.h"
#include "concurrency/http/request.h"
#include "concurrency/http/response.h"
#include "concurrency/http/server.h"
#include "concurrency/io/read_write.h"
#include "concurrency/io/scoped_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"

namespace concurrency::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;
using ::testing_util::IsOk;
using ::testing_util::StatusIs;

absl::StatusOr<HttpRequest> Parse(absl::string_view head,
                                  HeadLimits limits = {}) {
  return ParseRequestHead(head, limits);
}

TEST(ParseRequestHeadTest, ReadsTheRequestLineAndHeaders) {
  absl::StatusOr<HttpRequest> r = Parse(
      "GET /prices.csv?page_number=2 HTTP/1.1\r\nHost: x\r\n"
      "X-Thing:  a  \r\nx-thing: b\r\nAccept:");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->target, "/prices.csv?page_number=2");
  EXPECT_EQ(r->path, "/prices.csv");
  EXPECT_EQ(r->query, "page_number=2");
  EXPECT_EQ(r->version_minor, 1);
  EXPECT_THAT(r->headers,
              UnorderedElementsAre(Pair("host", "x"), Pair("x-thing", "a, b"),
                                   Pair("accept", "")));
  EXPECT_TRUE(r->keep_alive);
  EXPECT_FALSE(r->has_body);
}

TEST(ParseRequestHeadTest, KeepAliveFollowsTheVersionAndConnectionHeader) {
  EXPECT_FALSE(Parse("GET / HTTP/1.1\r\nConnection: Close")->keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.0")->keep_alive);
  EXPECT_TRUE(Parse("GET / HTTP/1.0\r\nConnection: keep-alive")->keep_alive);
  EXPECT_TRUE(Parse("POST / HTTP/1.1\r\nContent-Length: 5")->has_body);
  EXPECT_TRUE(Parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked")->has_body);
  EXPECT_FALSE(Parse("GET / HTTP/1.1\r\nContent-Length: 0")->has_body);
}

TEST(ParseRequestHeadTest, MalformedHeadsAreBadRequestsNamingTheLine) {
  for (absl::string_view head :
       {"GET /", "GET / HTTP/2.0", "GET  / HTTP/1.1", "GET x HTTP/1.1",
        "G(T / HTTP/1.1", "GET /a b HTTP/1.1", "", "GET / HTTP/1.1x"}) {
    EXPECT_THAT(Parse(head), StatusIs(absl::StatusCode::kInvalidArgument,
                                      HasSubstr("malformed request line")))
        << head;
  }
  EXPECT_THAT(Parse("GET / HTTP/1.1\r\nno colon here"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("malformed header line 'no colon here'")));
  EXPECT_THAT(
      Parse("GET / HTTP/1.1\r\nHost : x"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'Host : x'")));
  EXPECT_THAT(Parse("GET / HTTP/1.1\r\n folded"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Parse("GET / HTTP/1.1\r\nX: a\x01z"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Parse("GET / HTTP/1.1\r\nContent-Length: -1"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("Content-Length")));
  EXPECT_EQ(HttpStatusFor(Parse("GET /").status()), 400);
}

TEST(ParseRequestHeadTest, EachLimitGives431) {
  HeadLimits limits{
      .max_head_bytes = 200, .max_line_bytes = 50, .max_headers = 2};
  EXPECT_THAT(Parse("GET / HTTP/1.1\r\nA: 1\r\nB: 2", limits), IsOk());
  absl::Status too_many =
      Parse("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3", limits).status();
  EXPECT_THAT(too_many, StatusIs(absl::StatusCode::kResourceExhausted,
                                 HasSubstr("more than 2 header lines")));
  absl::Status long_line =
      Parse(absl::StrCat("GET / HTTP/1.1\r\nA: ", std::string(60, 'a')), limits)
          .status();
  EXPECT_THAT(long_line, StatusIs(absl::StatusCode::kResourceExhausted,
                                  HasSubstr("line 2 over 50 bytes")));
  absl::Status big =
      Parse(absl::StrCat("GET /", std::string(300, 'a'), " HTTP/1.1"), limits)
          .status();
  EXPECT_THAT(big, StatusIs(absl::StatusCode::kResourceExhausted,
                            HasSubstr("over 200 bytes")));
  EXPECT_EQ(HttpStatusFor(too_many), 431);
  EXPECT_EQ(HttpStatusFor(long_line), 431);
  EXPECT_EQ(HttpStatusFor(big), 431);
  EXPECT_EQ(HttpStatusFor(absl::DeadlineExceededError("slow")), 408);
  EXPECT_EQ(HttpStatusFor(absl::UnavailableError("gone")), 0);
}

struct SocketPair {
  SocketPair() {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    client.Reset(sv[0]);
    server.Reset(sv[1]);
  }
  io::ScopedFd client;
  io::ScopedFd server;
};

TEST(HeadReaderTest, ReadsPipelinedRequestsOneAfterTheOther) {
  SocketPair p;
  ASSERT_THAT(
      io::SendAll(p.client.get(),
                  "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", "c"),
      IsOk());
  HeadReader reader(p.server.get());
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  absl::StatusOr<HttpRequest> a = reader.Read({}, deadline);
  ASSERT_THAT(a, IsOk());
  EXPECT_EQ(a->path, "/a");
  EXPECT_TRUE(reader.has_buffered());
  absl::StatusOr<HttpRequest> b = reader.Read({}, deadline);
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(b->path, "/b");
  EXPECT_FALSE(reader.has_buffered());
}

TEST(HeadReaderTest, ReadsAHeadSentInPieces) {
  SocketPair p;
  HeadReader reader(p.server.get());
  std::thread writer([&] {
    EXPECT_THAT(io::SendAll(p.client.get(), "GET / HT", "c"), IsOk());
    EXPECT_THAT(io::SendAll(p.client.get(), "TP/1.1\r\nHost: x\r", "c"),
                IsOk());
    EXPECT_THAT(io::SendAll(p.client.get(), "\n\r\n", "c"), IsOk());
  });
  absl::StatusOr<HttpRequest> r =
      reader.Read({}, absl::Now() + absl::Seconds(30));
  writer.join();
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->path, "/");
  EXPECT_EQ(r->Header("host"), "x");
}

TEST(HeadReaderTest, AHeadWithoutEndStopsAtTheByteLimit) {
  SocketPair p;
  ASSERT_THAT(io::SendAll(p.client.get(), std::string(5000, 'a'), "c"), IsOk());
  HeadReader reader(p.server.get());
  EXPECT_THAT(
      reader.Read({.max_head_bytes = 1024}, absl::Now() + absl::Seconds(30)),
      StatusIs(absl::StatusCode::kResourceExhausted,
               HasSubstr("over 1024 bytes")));
}

TEST(HeadReaderTest, AnUnfinishedHeadMissesItsDeadline) {
  SocketPair p;
  ASSERT_THAT(io::SendAll(p.client.get(), "GET / HTTP/1.1\r\n", "c"), IsOk());
  HeadReader reader(p.server.get());
  // Nothing more is ever sent, so the result cannot depend on timing; and
  // the reader gives up only once the deadline has passed, not before.
  const absl::Time deadline = absl::Now() + absl::Milliseconds(50);
  EXPECT_THAT(reader.Read({}, deadline),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("not complete in time")));
  EXPECT_GE(absl::Now(), deadline);
}

TEST(HeadReaderTest, APeerThatClosesIsUnavailable) {
  SocketPair p;
  p.client.Reset();
  HeadReader reader(p.server.get());
  absl::Status s = reader.Read({}, absl::Now() + absl::Seconds(30)).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(HttpStatusFor(s), 0);
}

TEST(SerializeResponseTest, WritesHeadAndBodyExactly) {
  HttpResponse r = TextResponse(404, "no");
  r.headers.emplace_back("Allow", "GET");
  EXPECT_EQ(SerializeResponse(r, Connection::kClose),
            "HTTP/1.1 404 Not Found\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nAllow: GET\r\n"
            "Content-Length: 3\r\nConnection: close\r\n\r\nno\n");
  EXPECT_THAT(SerializeResponse(HttpResponse{}, Connection::kKeepAlive),
              HasSubstr("Content-Length: 0\r\nConnection: keep-alive\r\n"));
  EXPECT_EQ(HttpReason(431), "Request Header Fields Too Large");
  EXPECT_EQ(HttpReason(799), "Unknown");
}

// A blocking client socket connected to 127.0.0.1:`port`.
io::ScopedFd Connect(int port) {
  io::ScopedFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr),
            0);
  timeval tv{30, 0};  // a broken server fails the test instead of hanging it
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Reads one response (head and Content-Length body) from `fd`; "" on EOF
// first. Bytes of a next response stay in `*pending`.
std::string ReadResponse(int fd, std::string* pending) {
  std::string& in = *pending;
  char buf[4096];
  while (true) {
    size_t end = in.find("\r\n\r\n");
    if (end != std::string::npos) {
      size_t cl = in.find("Content-Length: ");
      size_t length = 0;
      if (cl != std::string::npos && cl < end) {
        EXPECT_TRUE(absl::SimpleAtoi(
            in.substr(cl + 16, in.find("\r\n", cl) - cl - 16), &length));
      }
      if (in.size() >= end + 4 + length) {
        std::string response = in.substr(0, end + 4 + length);
        in.erase(0, response.size());
        return response;
      }
    }
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return std::exchange(in, "");
    in.append(buf, static_cast<size_t>(n));
  }
}

std::string ReadResponse(int fd) {
  std::string pending;
  return ReadResponse(fd, &pending);
}

bool ReadsEof(int fd) {
  char c;
  return recv(fd, &c, 1, 0) == 0;
}

class HttpServerTest : public ::testing::Test {
 protected:
  static HttpServer::Options Small() {
    HttpServer::Options options;
    options.limits.max_head_bytes = 1024;
    options.limits.max_line_bytes = 512;
    options.limits.max_headers = 4;
    options.limits.head_timeout = absl::Milliseconds(200);
    return options;
  }

  HttpServerTest() : server_(Small()) {
    server_.Handle("GET", "/hello", [](const HttpRequest& r) {
      return TextResponse(200, absl::StrCat("hello ", r.query));
    });
    server_.Handle("PUT", "/hello",
                   [](const HttpRequest&) { return TextResponse(200, "put"); });
    server_.HandleTakeover("GET", "/raw",
                           [this](const HttpRequest&, io::ScopedFd socket) {
                             (void)io::SendAll(socket.get(), "RAW", "raw");
                             taken_over_.Notify();
                             char c;
                             // Blocks until the client closes or Stop() shuts
                             // the socket down.
                             while (recv(socket.get(), &c, 1, 0) > 0) {
                             }
                           });
    EXPECT_THAT(server_.Start(), IsOk());
  }

  HttpServer server_;
  absl::Notification taken_over_;
};

TEST_F(HttpServerTest, RoutesByMethodAndPath) {
  io::ScopedFd c = Connect(server_.port());
  ASSERT_THAT(io::SendAll(c.get(),
                          "GET /hello?x HTTP/1.1\r\n\r\n"
                          "DELETE /hello HTTP/1.1\r\n\r\n"
                          "GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n",
                          "c"),
              IsOk());
  std::string pending;
  std::string ok = ReadResponse(c.get(), &pending);
  EXPECT_THAT(ok, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(ok, HasSubstr("Connection: keep-alive\r\n"));
  EXPECT_TRUE(absl::EndsWith(ok, "\r\n\r\nhello x\n"));
  std::string not_allowed = ReadResponse(c.get(), &pending);
  EXPECT_THAT(not_allowed, StartsWith("HTTP/1.1 405 Method Not Allowed\r\n"));
  EXPECT_THAT(not_allowed, HasSubstr("Allow: GET, PUT\r\n"));
  std::string missing = ReadResponse(c.get(), &pending);
  EXPECT_THAT(missing, StartsWith("HTTP/1.1 404 Not Found\r\n"));
  EXPECT_THAT(missing, HasSubstr("Connection: close\r\n"));
  EXPECT_TRUE(ReadsEof(c.get()));
  EXPECT_EQ(server_.requests(), 3);
}

TEST_F(HttpServerTest, RefusesHeadsOverEachLimitAndMalformedOnes) {
  struct Case {
    std::string request;
    std::string status_line;
  };
  std::vector<Case> cases = {
      {absl::StrCat("GET /", std::string(2000, 'a'), " HTTP/1.1\r\n\r\n"),
       "HTTP/1.1 431 "},
      {absl::StrCat("GET /hello HTTP/1.1\r\nA: ", std::string(600, 'a'),
                    "\r\n\r\n"),
       "HTTP/1.1 431 "},
      {"GET /hello HTTP/1.1\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\n\r\n",
       "HTTP/1.1 431 "},
      {"GET hello HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"},
      {"GET /hello HTTP/1.1\r\n", "HTTP/1.1 408 Request Timeout\r\n"},
  };
  for (const Case& c : cases) {
    io::ScopedFd fd = Connect(server_.port());
    ASSERT_THAT(io::SendAll(fd.get(), c.request, "c"), IsOk());
    std::string got = ReadResponse(fd.get());
    EXPECT_THAT(got, StartsWith(c.status_line)) << c.request.substr(0, 40);
    EXPECT_THAT(got, HasSubstr("Connection: close"));
    EXPECT_TRUE(ReadsEof(fd.get()));
  }
  EXPECT_EQ(server_.requests(), 0);
}

TEST_F(HttpServerTest, TakeoverGetsTheSocketAndStopEndsIt) {
  io::ScopedFd c = Connect(server_.port());
  ASSERT_THAT(io::SendAll(c.get(), "GET /raw HTTP/1.1\r\n\r\n", "c"), IsOk());
  char buf[3];
  ASSERT_EQ(recv(c.get(), buf, 3, MSG_WAITALL), 3);
  EXPECT_EQ(std::string(buf, 3), "RAW");
  ASSERT_TRUE(taken_over_.WaitForNotificationWithTimeout(absl::Seconds(30)));
  // The handler is blocked reading; Stop() must shut its socket down, so the
  // client reads EOF (not its 30 s receive timeout) and Stop() returns.
  server_.Stop();
  EXPECT_TRUE(ReadsEof(c.get()));
}

TEST_F(HttpServerTest, StopClosesIdleKeepAliveConnections) {
  io::ScopedFd c = Connect(server_.port());
  ASSERT_THAT(io::SendAll(c.get(), "GET /hello HTTP/1.1\r\n\r\n", "c"), IsOk());
  EXPECT_THAT(ReadResponse(c.get()), StartsWith("HTTP/1.1 200 OK"));
  server_.Stop();
  EXPECT_TRUE(ReadsEof(c.get()));
}

TEST(MisbehavingServerTest, SendsWhatItsScriptSays) {
  auto server = MisbehavingServer::Start([](const HttpRequest& r) {
    ScriptedResponse s;
    s.response = TextResponse(503, r.path);
    s.response.headers.emplace_back("Retry-After", "1");
    if (r.path == "/cut") s.truncate_body_at = 2;
    return s;
  });
  ASSERT_THAT(server, IsOk());
  io::ScopedFd a = Connect((*server)->port());
  ASSERT_THAT(io::SendAll(a.get(), "GET /busy HTTP/1.1\r\n\r\n", "c"), IsOk());
  std::string busy = ReadResponse(a.get());
  EXPECT_THAT(busy, StartsWith("HTTP/1.1 503 Service Unavailable\r\n"));
  EXPECT_THAT(busy, HasSubstr("Retry-After: 1\r\n"));
  EXPECT_TRUE(absl::EndsWith(busy, "/busy\n"));
  io::ScopedFd b = Connect((*server)->port());
  ASSERT_THAT(io::SendAll(b.get(), "GET /cut HTTP/1.1\r\n\r\n", "c"), IsOk());
  std::string cut = ReadResponse(b.get());  // EOF before the whole body
  EXPECT_THAT(cut, HasSubstr("Content-Length: 5\r\n"));
  EXPECT_TRUE(absl::EndsWith(cut, "\r\n\r\n/c"));
  EXPECT_EQ((*server)->requests(), 2);
}

TEST(MisbehavingServerTest, DestructionDropsADelayedResponsePromptly) {
  absl::Notification asked;
  auto server = MisbehavingServer::Start([&](const HttpRequest&) {
    asked.Notify();
    ScriptedResponse s;
    s.response = TextResponse(200, "late");
    s.delay = absl::Hours(1);
    return s;
  });
  ASSERT_THAT(server, IsOk());
  io::ScopedFd c = Connect((*server)->port());
  ASSERT_THAT(io::SendAll(c.get(), "GET / HTTP/1.1\r\n\r\n", "c"), IsOk());
  ASSERT_TRUE(asked.WaitForNotificationWithTimeout(absl::Seconds(30)));
  server->reset();  // returns although the response waits for an hour
  EXPECT_TRUE(ReadsEof(c.get()));
}

}  // namespace
}  // namespace concurrency::http
