#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "concurrency/http/head_parser.h"
#include "concurrency/http/misbehaving_server.h"
#include "concurrency/http/request.h"
#include "concurrency/http/response.h"
#include "concurrency/http/server.h"
#include "concurrency/io/read_write.h"
#include "concurrency/io/scoped_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/silent_clients.h"
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

// max_head_bytes counts the head with its blank line (the 4 bytes of
// CRLFCRLF): a head of exactly that size passes, one byte more is refused.
TEST(ParseRequestHeadTest, TheHeadLimitCountsTheBlankLine) {
  const std::string head = "GET / HTTP/1.1\r\nA: " + std::string(10, 'x');
  const size_t whole = head.size() + 4;
  EXPECT_THAT(Parse(head, {.max_head_bytes = whole}), IsOk());
  EXPECT_THAT(Parse(head, {.max_head_bytes = whole - 1}).status(),
              StatusIs(absl::StatusCode::kResourceExhausted));
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

TEST(HttpRequestTest, QueryParamFindsEachFormAndOnlyWholeNames) {
  HttpRequest r;
  r.query = "action=stream&x&page_size=10&actions=no&empty=";
  EXPECT_EQ(r.QueryParam("action"), "stream");
  EXPECT_EQ(r.QueryParam("x"), "");
  EXPECT_EQ(r.QueryParam("page_size"), "10");
  EXPECT_EQ(r.QueryParam("empty"), "");
  EXPECT_EQ(r.QueryParam("act"), std::nullopt);
  EXPECT_EQ(r.QueryParam("missing"), std::nullopt);
  r.query = "";
  EXPECT_EQ(r.QueryParam("action"), std::nullopt);
}

// Feeds `bytes` to `parser` and returns its next result.
std::optional<absl::StatusOr<HttpRequest>> Feed(HeadParser& parser,
                                                absl::string_view bytes,
                                                HeadLimits limits = {}) {
  parser.Append(bytes);
  return parser.Next(limits);
}

TEST(HeadParserTest, CutsPipelinedRequestsOneAfterTheOther) {
  HeadParser parser;
  auto a = Feed(parser, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\nGET");
  ASSERT_TRUE(a.has_value());
  ASSERT_THAT(*a, IsOk());
  EXPECT_EQ((*a)->path, "/a");
  auto b = parser.Next({});
  ASSERT_TRUE(b.has_value());
  ASSERT_THAT(*b, IsOk());
  EXPECT_EQ((*b)->path, "/b");
  EXPECT_EQ(parser.buffered(), 3);  // "GET" of a third
  EXPECT_FALSE(parser.Next({}).has_value());
}

TEST(HeadParserTest, FindsAHeadWhoseEndArrivesByteByByte) {
  HeadParser parser;
  const std::string head = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  for (size_t i = 0; i + 1 < head.size(); ++i) {
    EXPECT_FALSE(Feed(parser, head.substr(i, 1)).has_value()) << i;
  }
  auto r = Feed(parser, head.substr(head.size() - 1));
  ASSERT_TRUE(r.has_value());
  ASSERT_THAT(*r, IsOk());
  EXPECT_EQ((*r)->Header("host"), "x");
  EXPECT_EQ(parser.buffered(), 0);
}

TEST(HeadParserTest, AHeadWithoutEndStopsAtTheByteLimit) {
  HeadParser parser;
  EXPECT_FALSE(Feed(parser, std::string(1023, 'a'), {.max_head_bytes = 1024})
                   .has_value());
  auto r = Feed(parser, "a", {.max_head_bytes = 1024});
  ASSERT_TRUE(r.has_value());
  EXPECT_THAT(*r, StatusIs(absl::StatusCode::kResourceExhausted,
                           HasSubstr("over 1024 bytes")));
  EXPECT_EQ(HttpStatusFor(r->status()), 431);
}

TEST(HeadParserTest, AMalformedHeadIsABadRequest) {
  HeadParser parser;
  auto r = Feed(parser, "GET nope HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(HttpStatusFor(r->status()), 400);
}

TEST(SerializeResponseTest, WritesHeadAndBodyExactly) {
  HttpResponse r = TextResponse(404, "no");
  r.headers.emplace_back("Allow", "GET");
  EXPECT_EQ(SerializeResponse(r, ConnectionHeader::kClose),
            "HTTP/1.1 404 Not Found\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nAllow: GET\r\n"
            "Content-Length: 3\r\nConnection: close\r\n\r\nno\n");
  EXPECT_THAT(SerializeResponse(HttpResponse{}, ConnectionHeader::kKeepAlive),
              HasSubstr("Content-Length: 0\r\nConnection: keep-alive\r\n"));
  EXPECT_EQ(HttpReason(431), "Request Header Fields Too Large");
  EXPECT_EQ(HttpReason(799), "Unknown");
}

// The reason phrase of every status the project sends, as RFC 9110 names it.
TEST(SerializeResponseTest, EachStatusHasItsStandardReason) {
  const std::vector<std::pair<int, std::string>> reasons = {
      {200, "OK"},
      {204, "No Content"},
      {301, "Moved Permanently"},
      {302, "Found"},
      {304, "Not Modified"},
      {400, "Bad Request"},
      {401, "Unauthorized"},
      {403, "Forbidden"},
      {404, "Not Found"},
      {405, "Method Not Allowed"},
      {408, "Request Timeout"},
      {410, "Gone"},
      {429, "Too Many Requests"},
      {431, "Request Header Fields Too Large"},
      {500, "Internal Server Error"},
      {502, "Bad Gateway"},
      {503, "Service Unavailable"},
      {504, "Gateway Timeout"},
      {418, "Unknown"}};
  for (const auto& [status, reason] : reasons) {
    EXPECT_EQ(HttpReason(status), reason) << status;
    EXPECT_THAT(
        SerializeResponse(TextResponse(status, ""), ConnectionHeader::kClose),
        StartsWith(absl::StrCat("HTTP/1.1 ", status, " ", reason, "\r\n")));
  }
}

// A blocking client socket connected to 127.0.0.1:`port`.
// With `rcvbuf`, the socket's receive buffer is that small (set before
// connecting, so that the window stays small).
io::ScopedFd Connect(int port, int rcvbuf = 0) {
  io::ScopedFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (rcvbuf > 0) {
    EXPECT_EQ(
        setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf), 0);
  }
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
    server_.Handle("GET", "/q", [](const HttpRequest&) {
      return TextResponse(200, "plain");
    });
    server_.Handle(
        "GET", "/q?action=stream",
        [](const HttpRequest&) { return TextResponse(200, "action"); },
        HttpServer::RunOn::kLoop);
    server_.Handle("GET", "/raw", [this](const HttpRequest&) {
      HttpResponse r;
      r.content_type = "application/x-raw";
      r.stream = [this](io::ScopedFd socket) {
        absl::MutexLock l(&mu_);
        raw_ = std::move(socket);
      };
      return r;
    });
    EXPECT_THAT(server_.Start(), IsOk());
  }

  // The socket a /raw stream was handed, once it was.
  io::ScopedFd TakeRaw() {
    absl::MutexLock l(&mu_);
    mu_.Await(absl::Condition(
        +[](io::ScopedFd* fd) { return fd->valid(); }, &raw_));
    return std::move(raw_);
  }

  HttpServer server_;
  absl::Mutex mu_;
  io::ScopedFd raw_ ABSL_GUARDED_BY(mu_);
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
      // A connection that sends nothing at all is timed out the same way.
      {"", "HTTP/1.1 408 Request Timeout\r\n"},
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

TEST_F(HttpServerTest, AStreamGetsTheSocketAfterItsHeadAndOutlivesStop) {
  io::ScopedFd c = Connect(server_.port());
  ASSERT_THAT(io::SendAll(c.get(), "GET /raw HTTP/1.1\r\n\r\n", "c"), IsOk());
  io::ScopedFd raw = TakeRaw();
  // The head was sent before the socket was handed on, by the one writer:
  // no Content-Length, and the connection closes when the stream ends.
  ASSERT_THAT(io::SendAll(raw.get(), "RAW", "raw"), IsOk());
  server_.Stop();  // the stream's socket is its own, not the server's
  ASSERT_THAT(io::SendAll(raw.get(), "!", "raw"), IsOk());
  raw.Reset();
  std::string got;
  char buf[256];
  for (ssize_t n; (n = recv(c.get(), buf, sizeof buf, 0)) > 0;) {
    got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(got,
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-raw\r\n"
            "Connection: close\r\n\r\nRAW!");
  EXPECT_EQ(server_.requests(), 1);
}

TEST_F(HttpServerTest, ARouteNamingAQueryParameterGoesFirst) {
  io::ScopedFd c = Connect(server_.port());
  ASSERT_THAT(io::SendAll(c.get(),
                          "GET /q?x=1&action=stream HTTP/1.1\r\n\r\n"
                          "GET /q?action=streams HTTP/1.1\r\n\r\n"
                          "GET /q HTTP/1.1\r\n\r\n",
                          "c"),
              IsOk());
  std::string pending;
  EXPECT_TRUE(absl::EndsWith(ReadResponse(c.get(), &pending), "action\n"));
  EXPECT_TRUE(absl::EndsWith(ReadResponse(c.get(), &pending), "plain\n"));
  EXPECT_TRUE(absl::EndsWith(ReadResponse(c.get(), &pending), "plain\n"));
}

TEST_F(HttpServerTest, A408ComesOnlyOnceTheHeadTimeoutHasPassed) {
  io::ScopedFd c = Connect(server_.port());
  const absl::Time sent = absl::Now();
  ASSERT_THAT(io::SendAll(c.get(), "GET /hello HTTP/1.1\r\nX-a: ", "c"),
              IsOk());
  EXPECT_THAT(ReadResponse(c.get()),
              StartsWith("HTTP/1.1 408 Request Timeout\r\n"));
  // A lower bound only: the deadline is never early. (No upper bound: the
  // timer's lateness is the machine's, not ours to assert.)
  EXPECT_GE(absl::Now() - sent, Small().limits.head_timeout);
}

// A server whose heads may take an hour: silent peers stay open for the
// whole test, whatever the machine's speed.
class SilentPeersTest : public ::testing::Test {
 protected:
  static constexpr int kSilent = 1000;

  static HttpServer::Options Patient() {
    HttpServer::Options options;
    options.threads = 2;
    options.limits.head_timeout = absl::Hours(1);
    options.idle_timeout = absl::Hours(1);
    return options;
  }

  SilentPeersTest() : server_(Patient()) {
    server_.Handle("GET", "/stats",
                   [](const HttpRequest&) { return TextResponse(200, "ok"); });
  }

  void SetUp() override {
    ASSERT_TRUE(testing_util::RaiseFdLimit(2 * kSilent + 200))
        << "the test needs ~2,200 descriptors; raise the hard RLIMIT_NOFILE";
    ASSERT_THAT(server_.Start(), IsOk());
  }

  // A new client's whole /stats response.
  std::string AskStats() {
    io::ScopedFd c = Connect(server_.port());
    EXPECT_THAT(
        io::SendAll(c.get(), "GET /stats HTTP/1.1\r\nConnection: close\r\n\r\n",
                    "c"),
        IsOk());
    return ReadResponse(c.get());
  }

  HttpServer server_;
};

TEST_F(SilentPeersTest, AThousandPartialHeadsHoldNoThread) {
  std::optional<testing_util::SilentClients> silent =
      testing_util::SilentClients::Open(server_.port(), kSilent,
                                        "GET / HTTP/1.1\r\nX-a: ");
  ASSERT_TRUE(silent.has_value());
  std::string stats = AskStats();
  EXPECT_THAT(stats, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(absl::EndsWith(stats, "\r\n\r\nok\n"));
  // Accepted in order, so every silent one was accepted before the new one,
  // and none was answered or closed.
  EXPECT_GE(server_.connections(), kSilent);
  EXPECT_EQ(silent->StillOpen(), kSilent);
}

TEST_F(SilentPeersTest, AThousandIdleKeptAliveConnectionsHoldNoThread) {
  std::optional<testing_util::SilentClients> idle =
      testing_util::SilentClients::Open(server_.port(), kSilent,
                                        "GET /stats HTTP/1.1\r\n\r\n",
                                        /*read_response=*/true);
  ASSERT_TRUE(idle.has_value());
  std::string stats = AskStats();
  EXPECT_TRUE(absl::EndsWith(stats, "\r\n\r\nok\n"));
  EXPECT_GE(server_.connections(), kSilent);
  EXPECT_EQ(idle->StillOpen(), kSilent);
  EXPECT_EQ(server_.requests(), kSilent + 1);
}

TEST(HttpServerCapTest, ConnectionsOverTheCapAre503AndClosed) {
  HttpServer::Options options;
  options.max_connections = 2;
  options.limits.head_timeout = absl::Hours(1);
  HttpServer server(options);
  ASSERT_THAT(server.Start(), IsOk());
  std::optional<testing_util::SilentClients> two =
      testing_util::SilentClients::Open(server.port(), 2, "GET / HT");
  ASSERT_TRUE(two.has_value());
  io::ScopedFd third = Connect(server.port());
  std::string got = ReadResponse(third.get());
  EXPECT_THAT(got, StartsWith("HTTP/1.1 503 Service Unavailable\r\n"));
  EXPECT_THAT(got, HasSubstr("too many connections"));
  EXPECT_TRUE(ReadsEof(third.get()));
  EXPECT_EQ(two->StillOpen(), 2);
}

// A kept-alive connection serves max_requests_per_connection requests: the
// last is answered "Connection: close", and the connection ends.
TEST(HttpServerKeepAliveTest, AConnectionServesAtMostItsRequestLimit) {
  HttpServer::Options options;
  options.max_requests_per_connection = 2;
  HttpServer server(options);
  server.Handle("GET", "/",
                [](const HttpRequest&) { return TextResponse(200, "ok"); });
  ASSERT_THAT(server.Start(), IsOk());
  io::ScopedFd c = Connect(server.port());
  ASSERT_THAT(io::SendAll(c.get(),
                          "GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n"
                          "GET / HTTP/1.1\r\n\r\n",
                          "c"),
              IsOk());
  std::string pending;
  EXPECT_THAT(ReadResponse(c.get(), &pending),
              HasSubstr("Connection: keep-alive\r\n"));
  EXPECT_THAT(ReadResponse(c.get(), &pending),
              HasSubstr("Connection: close\r\n"));
  EXPECT_TRUE(ReadsEof(c.get()));
  EXPECT_EQ(server.requests(), 2);
}

// A response far larger than the socket buffers goes out in many partial
// sends, each resuming where the last stopped: the client reads exactly the
// body, byte for byte, and then the end of the connection.
TEST(HttpServerWriteTest, ABodyLargerThanTheSocketBuffersArrivesExactly) {
  std::string body(8 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) {
    body[i] = static_cast<char>('a' + i % 23);
  }
  HttpServer server{HttpServer::Options{}};
  server.Handle("GET", "/big", [&body](const HttpRequest&) {
    HttpResponse r;
    r.body = body;
    return r;
  });
  ASSERT_THAT(server.Start(), IsOk());
  io::ScopedFd c = Connect(server.port());
  ASSERT_THAT(
      io::SendAll(c.get(), "GET /big HTTP/1.1\r\nConnection: close\r\n\r\n",
                  "c"),
      IsOk());
  std::string pending;
  const std::string response = ReadResponse(c.get(), &pending);
  ASSERT_THAT(response, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(absl::EndsWith(response, absl::StrCat("\r\n\r\n", body)));
  EXPECT_EQ(pending, "");  // nothing past the body
  EXPECT_TRUE(ReadsEof(c.get()));
}

// A client that resets the connection in the middle of a response frees its
// place at once (the failed send says so), not after send_timeout.
TEST(HttpServerWriteTest, AClientThatResetsMidResponseIsClosedAtOnce) {
  HttpServer::Options options;
  options.send_timeout = absl::Hours(1);
  HttpServer server(options);
  const std::string body(8 << 20, 'x');
  server.Handle("GET", "/big", [&body](const HttpRequest&) {
    return TextResponse(200, body);
  });
  ASSERT_THAT(server.Start(), IsOk());
  io::ScopedFd c = Connect(server.port());
  ASSERT_THAT(io::SendAll(c.get(), "GET /big HTTP/1.1\r\n\r\n", "c"), IsOk());
  char head[64];  // the response has begun: the server is writing it
  ASSERT_GT(recv(c.get(), head, sizeof head, 0), 0);
  ASSERT_EQ(server.connections(), 1);
  linger reset{1, 0};
  ASSERT_EQ(setsockopt(c.get(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset),
            0);
  c.Reset();  // an RST, with 8 MiB still to send
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (server.connections() != 0 && absl::Now() < give_up) {
    std::this_thread::yield();
  }
  EXPECT_EQ(server.connections(), 0);
}

// A client that takes no byte of its response for send_timeout is dropped,
// with the rest of the response unsent.
TEST(HttpServerWriteTest, AClientThatReadsNothingIsDroppedAfterTheSendTimeout) {
  HttpServer::Options options;
  options.send_timeout = absl::Milliseconds(200);
  HttpServer server(options);
  const std::string body(8 << 20, 'x');
  server.Handle("GET", "/big", [&body](const HttpRequest&) {
    return TextResponse(200, body);
  });
  ASSERT_THAT(server.Start(), IsOk());
  io::ScopedFd c = Connect(server.port(), /*rcvbuf=*/4096);
  ASSERT_THAT(io::SendAll(c.get(), "GET /big HTTP/1.1\r\n\r\n", "c"), IsOk());
  char head[64];  // the response has begun: the server is writing it
  ssize_t got_head = recv(c.get(), head, sizeof head, 0);
  ASSERT_GT(got_head, 0);
  ASSERT_EQ(server.connections(), 1);
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (server.connections() != 0 && absl::Now() < give_up) {
    std::this_thread::yield();
  }
  EXPECT_EQ(server.connections(), 0);
  EXPECT_EQ(server.requests(), 1);
  size_t got = static_cast<size_t>(got_head);
  char buf[1 << 16];
  for (ssize_t n; (n = recv(c.get(), buf, sizeof buf, 0)) > 0;) {
    got += static_cast<size_t>(n);
  }
  EXPECT_GT(got, 0u);
  EXPECT_LT(got, body.size());
}

// With no idle time allowed, a kept-alive connection is closed as soon as
// its response is out.
TEST(HttpServerKeepAliveTest, AZeroIdleTimeoutClosesAfterEachResponse) {
  HttpServer::Options options;
  options.idle_timeout = absl::ZeroDuration();
  HttpServer server(options);
  server.Handle("GET", "/",
                [](const HttpRequest&) { return TextResponse(200, "ok"); });
  server.Handle(
      "GET", "/loop",
      [](const HttpRequest&) { return TextResponse(200, "ok"); },
      HttpServer::RunOn::kLoop);
  ASSERT_THAT(server.Start(), IsOk());
  for (const char* path : {"/", "/loop"}) {
    io::ScopedFd c = Connect(server.port());
    ASSERT_THAT(
        io::SendAll(c.get(), absl::StrCat("GET ", path, " HTTP/1.1\r\n\r\n"),
                    "c"),
        IsOk());
    EXPECT_THAT(ReadResponse(c.get()), StartsWith("HTTP/1.1 200 OK\r\n"))
        << path;
    EXPECT_TRUE(ReadsEof(c.get())) << path;
  }
  EXPECT_EQ(server.requests(), 2);
}

// The limits concurrency/http/README.md documents.
TEST(HeadLimitsTest, DefaultsAreTheDocumentedOnes) {
  const HeadLimits limits;
  EXPECT_EQ(limits.max_head_bytes, 16u << 10);
  EXPECT_EQ(limits.max_line_bytes, 8u << 10);
  EXPECT_EQ(limits.max_headers, 100u);
  EXPECT_EQ(limits.head_timeout, absl::Seconds(5));
  const HttpServer::Options options;
  EXPECT_EQ(options.max_connections, 4096);
  EXPECT_EQ(options.idle_timeout, absl::Seconds(5));
  EXPECT_EQ(options.max_requests_per_connection, 1000);
}

// A connection that arrives while the process has no descriptor left waits
// in the backlog; once descriptors are free again the server accepts and
// serves it by itself (the listener's readiness edge does not come again).
TEST(HttpServerAcceptTest,
     AConnectionThatCameWhileNoDescriptorWasFreeIsServed) {
  HttpServer server{HttpServer::Options{}};
  server.Handle("GET", "/",
                [](const HttpRequest&) { return TextResponse(200, "ok"); });
  ASSERT_THAT(server.Start(), IsOk());
  io::ScopedFd client(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(client.valid());
  timeval tv{30, 0};  // a server that never answers fails, not hangs
  setsockopt(client.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  // Every descriptor left, taken.
  std::vector<io::ScopedFd> taken;
  while (true) {
    io::ScopedFd fd(dup(client.get()));
    if (!fd.valid()) break;
    taken.push_back(std::move(fd));
  }
  ASSERT_EQ(errno, EMFILE);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(
      connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr),
      0);
  // Wait until the server has tried to accept it, and failed.
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (server.accept_failures() == 0 && absl::Now() < give_up) {
    std::this_thread::yield();
  }
  ASSERT_GT(server.accept_failures(), 0);
  taken.clear();
  ASSERT_THAT(io::SendAll(client.get(),
                          "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", "c"),
              IsOk());
  EXPECT_THAT(ReadResponse(client.get()), StartsWith("HTTP/1.1 200 OK\r\n"));
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

TEST(HttpServerOptionsTest, DefaultsAreTheDocumentedOnes) {
  const HttpServer::Options o;
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 0);
  EXPECT_EQ(o.threads, 16);
  EXPECT_EQ(o.max_connections, 4096);
  EXPECT_TRUE(o.keep_alive);
  EXPECT_EQ(o.idle_timeout, absl::Seconds(5));
  EXPECT_EQ(o.send_timeout, absl::Seconds(10));
  EXPECT_EQ(o.max_requests_per_connection, 1000);
  EXPECT_EQ(o.response_delay, absl::ZeroDuration());
}

}  // namespace
}  // namespace concurrency::http
