#include "camera/streamer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "camera/frame_source.h"
#include "camera/mjpeg_clip.h"
#include "camera/stream_loop.h"
#include "concurrency/io/read_write.h"
#include "concurrency/io/scoped_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"
#include "tools/testing/silent_clients.h"
#include "tools/testing/status_matchers.h"

namespace camera {
namespace {

using ::testing::HasSubstr;
using ::testing_util::IsOk;

std::unique_ptr<Streamer> StartStreamer(
    Serving serving, int max_clients = 100,
    absl::Duration send_timeout = absl::Seconds(60), int width = 320,
    int height = 240, const std::string& user = "",
    const std::string& allow_origin = "") {
  absl::StatusOr<std::unique_ptr<FrameSource>> src =
      MakeFrameSource("test", {.width = width, .height = height, .fps = 30});
  EXPECT_THAT(src.status(), IsOk());
  StreamerOptions o;
  o.port = 0;
  o.max_clients = max_clients;
  o.header_timeout = absl::Milliseconds(300);
  o.send_timeout = send_timeout;
  o.serving = serving;
  o.encoders = 2;  // the binary's default on two cores
  if (!user.empty()) o.credentials = {.user = user, .password = "s3cret"};
  o.allow_origin = allow_origin;
  absl::StatusOr<std::unique_ptr<Streamer>> s =
      Streamer::Start(*std::move(src), o);
  EXPECT_THAT(s.status(), IsOk());
  return *std::move(s);
}

// A blocking client with a receive timeout, so a broken server fails the
// test instead of hanging it.
class Client {
 public:
  explicit Client(int port, int rcvbuf = 0) {
    fd_.Reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const int fd = fd_.get();
    if (rcvbuf > 0)
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    SetReceiveTimeout();
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    ok_ = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  // The reading end of a stream the test set up itself.
  explicit Client(concurrency::io::ScopedFd fd)
      : fd_(std::move(fd)), ok_(true) {
    SetReceiveTimeout();
  }
  ~Client() { Close(); }
  void Close() { fd_.Reset(); }
  void ShutdownWrite() { shutdown(fd_.get(), SHUT_WR); }
  bool ok() const { return ok_; }
  bool Send(absl::string_view s) {
    return concurrency::io::SendAll(fd_.get(), s, "test client").ok();
  }

  // Reads through "\r\n\r\n" (a response or part head).
  std::optional<std::string> ReadHead() {
    std::string head;
    while (!absl::EndsWith(head, "\r\n\r\n")) {
      std::optional<char> c = ReadByte();
      if (!c) return std::nullopt;
      head.push_back(*c);
    }
    return head;
  }
  std::optional<std::string> ReadN(size_t n) {
    std::string out;
    while (out.size() < n) {
      std::optional<char> c = ReadByte();
      if (!c) return std::nullopt;
      out.push_back(*c);
    }
    return out;
  }
  std::string ReadAll() {
    std::string out;
    while (std::optional<char> c = ReadByte()) out.push_back(*c);
    return out;
  }

  struct Part {
    int64_t number;
    std::string jpeg;
  };
  // One multipart part: its X-Frame-Number and JPEG.
  std::optional<Part> ReadPart() {
    std::optional<std::string> head = ReadHead();
    if (!head) return std::nullopt;
    Part p{-1, ""};
    size_t len = 0;
    for (absl::string_view line : absl::StrSplit(*head, "\r\n")) {
      if (absl::ConsumePrefix(&line, "Content-Length: "))
        (void)absl::SimpleAtoi(line, &len);
      if (absl::ConsumePrefix(&line, "X-Frame-Number: "))
        (void)absl::SimpleAtoi(line, &p.number);
    }
    std::optional<std::string> body = ReadN(len + 2);  // JPEG + CRLF
    if (!body || !absl::EndsWith(*body, "\r\n")) return std::nullopt;
    p.jpeg = body->substr(0, len);
    return p;
  }

  // Reads until the server closes the connection: true on end of stream,
  // false on an error or the 20 s receive timeout (a server that never
  // closed).
  bool ReadsToEndOfStream() {
    while (true) {
      buf_.resize(65536);
      ssize_t n = recv(fd_.get(), buf_.data(), buf_.size(), 0);
      buf_.clear();
      pos_ = 0;
      if (n == 0) return true;
      if (n < 0) return false;
    }
  }

 private:
  void SetReceiveTimeout() {
    timeval tv{20, 0};
    setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  std::optional<char> ReadByte() {
    if (pos_ == buf_.size()) {
      buf_.resize(65536);
      ssize_t n = recv(fd_.get(), buf_.data(), buf_.size(), 0);
      if (n <= 0) return std::nullopt;
      buf_.resize(static_cast<size_t>(n));
      pos_ = 0;
    }
    return buf_[pos_++];
  }
  concurrency::io::ScopedFd fd_;
  bool ok_;
  std::string buf_;
  size_t pos_ = 0;
};

// Every behaviour holds for both ways of serving streams.
class StreamerTest : public ::testing::TestWithParam<Serving> {};

INSTANTIATE_TEST_SUITE_P(Both, StreamerTest,
                         ::testing::Values(Serving::kEventLoop,
                                           Serving::kThreadPerStream),
                         [](const auto& info) {
                           return info.param == Serving::kEventLoop
                                      ? std::string("EventLoop")
                                      : std::string("ThreadPerStream");
                         });

// One response: its head and the Content-Length bytes of body after it
// (the server may keep the connection open for another request).
std::string Get(int port, absl::string_view request) {
  Client c(port);
  c.Send(request);
  std::optional<std::string> head = c.ReadHead();
  if (!head) return "";
  size_t length = 0;
  for (absl::string_view line : absl::StrSplit(*head, "\r\n")) {
    if (absl::ConsumePrefix(&line, "Content-Length: ")) {
      EXPECT_TRUE(absl::SimpleAtoi(line, &length));
    }
  }
  std::optional<std::string> body = c.ReadN(length);
  return *head + body.value_or("");
}

TEST_P(StreamerTest, SeveralClientsReadValidJpegsWithIncreasingNumbers) {
  auto s = StartStreamer(GetParam());
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      Client c(s->port());
      ASSERT_TRUE(c.ok());
      c.Send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
      std::optional<std::string> head = c.ReadHead();
      ASSERT_TRUE(head);
      EXPECT_THAT(*head, HasSubstr("multipart/x-mixed-replace;boundary=frame"));
      int64_t last = 0;
      for (int k = 0; k < 10; ++k) {
        std::optional<Client::Part> p = c.ReadPart();
        ASSERT_TRUE(p);
        cv::Mat img =
            cv::imdecode(std::vector<uchar>(p->jpeg.begin(), p->jpeg.end()),
                         cv::IMREAD_COLOR);
        ASSERT_FALSE(img.empty());
        EXPECT_EQ(img.cols, 320);
        EXPECT_EQ(ReadFrameNumber(img),
                  p->number);  // the picture is that frame
        EXPECT_GT(p->number, last);
        last = p->number;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(s->WaitForClients(0, absl::Seconds(30)));
}

TEST_P(StreamerTest, AStalledClientDoesNotSlowTheOthers) {
  // 640x480 frames (about 15 KB each) so that the stalled client's buffers
  // (512 KB of send buffer, 2 KB of receive buffer) are full after about 35
  // frames.
  auto s = StartStreamer(GetParam(), 100, absl::Seconds(60), 640, 480);
  // This client asks for the stream and never reads.
  Client stalled(s->port(), /*rcvbuf=*/2048);
  stalled.Send("GET /stream HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(s->WaitForClients(1, absl::Seconds(30)));
  Client reader(s->port());
  reader.Send("GET /stream HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(reader.ReadHead());
  // 90 frames, three seconds of capture, well past the point where the
  // stalled client's buffers are full. A server that wrote to every client
  // in turn would hang here (the receive timeout then fails the test).
  int64_t last = 0;
  for (int k = 0; k < 90; ++k) {
    std::optional<Client::Part> p = reader.ReadPart();
    ASSERT_TRUE(p) << "frame " << k;
    EXPECT_GT(p->number, last);
    last = p->number;
  }
  const std::string stats = s->StatsJson();
  EXPECT_THAT(stats, HasSubstr("\"clients\": 2"));
  // The reader got 90 frames while the stalled client's buffers stayed full:
  // the server has handed the stalled one far fewer.
  std::vector<int64_t> sent;
  for (absl::string_view rest = stats;;) {
    size_t at = rest.find("\"frames_sent\": ");
    if (at == absl::string_view::npos) break;
    rest.remove_prefix(at + 15);
    int64_t n = 0;
    ASSERT_TRUE(absl::SimpleAtoi(rest.substr(0, rest.find(',')), &n));
    sent.push_back(n);
  }
  ASSERT_EQ(sent.size(), 2u) << stats;
  EXPECT_LT(*std::min_element(sent.begin(), sent.end()), 60) << stats;
  EXPECT_GE(*std::max_element(sent.begin(), sent.end()), 89) << stats;
}

TEST_P(StreamerTest, AStalledClientIsDroppedAfterTheSendTimeout) {
  auto s = StartStreamer(GetParam(), 100, absl::Milliseconds(300));
  Client stalled(s->port(), /*rcvbuf=*/2048);
  stalled.Send("GET /stream HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(s->WaitForClients(1, absl::Seconds(30)));
  // It never reads: its buffers fill within a few frames, then no send makes
  // progress for 300 ms and the server lets it go.
  EXPECT_TRUE(s->WaitForClients(0, absl::Seconds(60))) << s->StatsJson();
}

TEST_P(StreamerTest, DisconnectStormsAreNormal) {
  auto s = StartStreamer(GetParam());
  for (int round = 0; round < 3; ++round) {
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 20; ++i) {
      clients.push_back(std::make_unique<Client>(s->port()));
      clients.back()->Send("GET /stream HTTP/1.1\r\n\r\n");
    }
    // Some leave after the head, some mid-frame, some before anything.
    for (int i = 0; i < 20; ++i) {
      if (i % 3 == 0) clients[i]->ReadHead();
      if (i % 3 == 1) {
        clients[i]->ReadHead();
        clients[i]->ReadN(100);
      }
      clients[i]->Close();
    }
    ASSERT_TRUE(s->WaitForClients(0, absl::Seconds(30))) << s->StatsJson();
  }
  // The server is still fine.
  Client c(s->port());
  c.Send("GET /stream HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(c.ReadHead());
  EXPECT_TRUE(c.ReadPart());
}

TEST_P(StreamerTest, ServiceUnavailablePastTheLimit) {
  auto s = StartStreamer(GetParam(), /*max_clients=*/2);
  Client a(s->port()), b(s->port());
  a.Send("GET /stream HTTP/1.1\r\n\r\n");
  b.Send("GET /stream HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(a.ReadHead());
  ASSERT_TRUE(b.ReadHead());
  EXPECT_THAT(Get(s->port(), "GET /stream HTTP/1.1\r\n\r\n"),
              HasSubstr("HTTP/1.1 503 Service Unavailable"));
  a.Close();
  ASSERT_TRUE(s->WaitForClients(1, absl::Seconds(30)));
  Client c(s->port());
  c.Send("GET /stream HTTP/1.1\r\n\r\n");
  std::optional<std::string> head = c.ReadHead();
  ASSERT_TRUE(head);
  EXPECT_THAT(*head, HasSubstr("200 OK"));
}

TEST_P(StreamerTest, PagesErrorsAndLimits) {
  auto s = StartStreamer(GetParam());
  std::string page = Get(s->port(), "GET / HTTP/1.1\r\n\r\n");
  EXPECT_THAT(page, HasSubstr("200 OK"));
  EXPECT_THAT(page, HasSubstr("<img id=\"stream\" src=\"/stream\""));
  EXPECT_THAT(Get(s->port(), "GET /nope HTTP/1.1\r\n\r\n"),
              HasSubstr("404 Not Found"));
  EXPECT_THAT(Get(s->port(), "POST / HTTP/1.1\r\n\r\n"),
              HasSubstr("405 Method Not Allowed"));
  EXPECT_THAT(Get(s->port(), "GET / HTTP/1.1\r\nX: " + std::string(10000, 'a')),
              HasSubstr("431 Request Header Fields Too Large"));
  EXPECT_THAT(Get(s->port(), "GET / HTTP/1.1\r\n"),
              HasSubstr("408 Request Timeout"));
  EXPECT_THAT(Get(s->port(), "nonsense\r\n\r\n"), HasSubstr("400 Bad Request"));
  std::string snap = Get(s->port(), "GET /snapshot.jpg HTTP/1.1\r\n\r\n");
  ASSERT_THAT(snap, HasSubstr("Content-Type: image/jpeg"));
  std::string jpeg = snap.substr(snap.find("\r\n\r\n") + 4);
  cv::Mat img = cv::imdecode(std::vector<uchar>(jpeg.begin(), jpeg.end()),
                             cv::IMREAD_COLOR);
  EXPECT_GT(ReadFrameNumber(img), 0);
  std::string stats = Get(s->port(), "GET /stats HTTP/1.1\r\n\r\n");
  EXPECT_THAT(stats, HasSubstr("\"source\": \"test pattern\""));
  EXPECT_THAT(stats, HasSubstr("\"width\": 320"));
}

// The URLs OctoPrint, Home Assistant and dashboards use for mjpg-streamer
// (`/?action=stream`, `/?action=snapshot`) and ustreamer (`/stream`,
// `/snapshot`, `/state`).
TEST_P(StreamerTest, ServesMjpgStreamerAndUstreamerUrls) {
  auto s = StartStreamer(GetParam());
  for (const char* url : {"/?action=snapshot", "/snapshot"}) {
    std::string snap =
        Get(s->port(), absl::StrCat("GET ", url, " HTTP/1.1\r\n\r\n"));
    ASSERT_THAT(snap, HasSubstr("Content-Type: image/jpeg")) << url;
    std::string jpeg = snap.substr(snap.find("\r\n\r\n") + 4);
    cv::Mat img = cv::imdecode(std::vector<uchar>(jpeg.begin(), jpeg.end()),
                               cv::IMREAD_COLOR);
    EXPECT_GT(ReadFrameNumber(img), 0) << url;
  }
  Client c(s->port());
  c.Send("GET /?action=stream HTTP/1.1\r\n\r\n");
  std::optional<std::string> head = c.ReadHead();
  ASSERT_TRUE(head);
  EXPECT_THAT(*head, HasSubstr("multipart/x-mixed-replace"));
  ASSERT_TRUE(s->WaitForClients(1, absl::Seconds(30)));
  std::string state = Get(s->port(), "GET /state HTTP/1.1\r\n\r\n");
  EXPECT_THAT(state, HasSubstr("\"ok\": true"));
  EXPECT_THAT(state,
              HasSubstr("\"resolution\": {\"width\": 320, \"height\": 240}"));
  EXPECT_THAT(state, HasSubstr("\"clients\": 1"));
  EXPECT_THAT(Get(s->port(), "GET /?action=nope HTTP/1.1\r\n\r\n"),
              HasSubstr("404 Not Found"));
}

TEST_P(StreamerTest, BasicAuthGuardsEveryUrl) {
  auto s = StartStreamer(GetParam(), 100, absl::Seconds(60), 320, 240, "me",
                         "https://dash.example");
  const std::string good =
      "Authorization: Basic bWU6czNjcmV0\r\n";                      // me:s3cret
  const std::string bad = "Authorization: Basic bWU6czNjcmVU\r\n";  // me:s3creT
  for (const char* url :
       {"/", "/?action=snapshot", "/?action=stream", "/stream", "/snapshot",
        "/snapshot.jpg", "/stats", "/state"}) {
    for (const std::string& auth : {std::string(), bad}) {
      std::string r = Get(
          s->port(), absl::StrCat("GET ", url, " HTTP/1.1\r\n", auth, "\r\n"));
      EXPECT_THAT(r, HasSubstr("401 Unauthorized")) << url << auth;
      EXPECT_THAT(r, HasSubstr("WWW-Authenticate: Basic realm=\"camera\""))
          << url;
      EXPECT_THAT(
          r, HasSubstr("Access-Control-Allow-Origin: https://dash.example"))
          << url;
    }
  }
  // With them, every URL answers (EveryUrlAndTheStreamLimitCarryAllowOrigin
  // asks each one).
  Client c(s->port());
  c.Send(absl::StrCat("GET /stream HTTP/1.1\r\n", good, "\r\n"));
  std::optional<std::string> head = c.ReadHead();
  ASSERT_TRUE(head);
  EXPECT_THAT(*head, HasSubstr("200 OK"));
}

// One writer for every response: the stream heads and the 503 past
// max_clients carry what every other response carries.
TEST_P(StreamerTest, EveryUrlAndTheStreamLimitCarryAllowOrigin) {
  auto s = StartStreamer(GetParam(), /*max_clients=*/2, absl::Seconds(60), 320,
                         240, "me", "https://dash.example");
  const std::string good = "Authorization: Basic bWU6czNjcmV0\r\n";
  for (const char* url : {"/", "/stats", "/state", "/snapshot", "/snapshot.jpg",
                          "/?action=snapshot"}) {
    std::string r = Get(
        s->port(), absl::StrCat("GET ", url, " HTTP/1.1\r\n", good, "\r\n"));
    EXPECT_THAT(r, HasSubstr("200 OK")) << url;
    EXPECT_THAT(r,
                HasSubstr("Access-Control-Allow-Origin: https://dash.example"))
        << url;
  }
  std::vector<std::unique_ptr<Client>> streams;
  for (const char* url : {"/stream", "/?action=stream"}) {
    streams.push_back(std::make_unique<Client>(s->port()));
    streams.back()->Send(
        absl::StrCat("GET ", url, " HTTP/1.1\r\n", good, "\r\n"));
    std::optional<std::string> head = streams.back()->ReadHead();
    ASSERT_TRUE(head) << url;
    EXPECT_THAT(*head, HasSubstr("200 OK")) << url;
    EXPECT_THAT(*head, HasSubstr("multipart/x-mixed-replace")) << url;
    EXPECT_THAT(*head,
                HasSubstr("Access-Control-Allow-Origin: https://dash.example"))
        << url;
    EXPECT_TRUE(streams.back()->ReadPart()) << url;
  }
  std::string over =
      Get(s->port(), absl::StrCat("GET /stream HTTP/1.1\r\n", good, "\r\n"));
  EXPECT_THAT(over, HasSubstr("503 Service Unavailable"));
  EXPECT_THAT(over,
              HasSubstr("Access-Control-Allow-Origin: https://dash.example"));
}

// A streamer whose request heads may take an hour, so that silent peers
// stay open for the whole test whatever the machine's speed.
std::unique_ptr<Streamer> StartPatientStreamer(Serving serving) {
  absl::StatusOr<std::unique_ptr<FrameSource>> src =
      MakeFrameSource("test", {.width = 320, .height = 240, .fps = 30});
  EXPECT_THAT(src.status(), IsOk());
  StreamerOptions o;
  o.port = 0;
  o.serving = serving;
  o.encoders = 2;  // the binary's default on two cores
  o.header_timeout = absl::Hours(1);
  absl::StatusOr<std::unique_ptr<Streamer>> s =
      Streamer::Start(*std::move(src), o);
  EXPECT_THAT(s.status(), IsOk());
  return *std::move(s);
}

// While `silent` connections hold their sockets, a new viewer gets a whole
// /stats response and a first stream frame; the silent ones are all still
// open afterwards (order, not durations).
void ExpectANewViewerIsServed(Streamer& s,
                              const testing_util::SilentClients& silent) {
  std::string stats = Get(s.port(), "GET /stats HTTP/1.1\r\n\r\n");
  EXPECT_THAT(stats, HasSubstr("200 OK"));
  EXPECT_TRUE(absl::EndsWith(stats, "}\n")) << stats;
  Client viewer(s.port());
  viewer.Send("GET /stream HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(viewer.ReadHead());
  std::optional<Client::Part> part = viewer.ReadPart();
  ASSERT_TRUE(part);
  EXPECT_GT(part->number, 0);
  EXPECT_GE(s.connections(), silent.size());
  EXPECT_EQ(silent.StillOpen(), silent.size());
}

TEST_P(StreamerTest, AThousandSilentPartialHeadsKeepNoViewerOut) {
  ASSERT_TRUE(testing_util::RaiseFdLimit(2200))
      << "the test needs ~2,200 descriptors; raise the hard RLIMIT_NOFILE";
  auto s = StartPatientStreamer(GetParam());
  std::optional<testing_util::SilentClients> silent =
      testing_util::SilentClients::Open(s->port(), 1000,
                                        "GET / HTTP/1.1\r\nX-a: ");
  ASSERT_TRUE(silent.has_value());
  ExpectANewViewerIsServed(*s, *silent);
}

TEST_P(StreamerTest, AThousandIdleKeptAliveConnectionsKeepNoViewerOut) {
  ASSERT_TRUE(testing_util::RaiseFdLimit(2200))
      << "the test needs ~2,200 descriptors; raise the hard RLIMIT_NOFILE";
  auto s = StartPatientStreamer(GetParam());
  std::optional<testing_util::SilentClients> idle =
      testing_util::SilentClients::Open(s->port(), 1000,
                                        "GET /state HTTP/1.1\r\n\r\n",
                                        /*read_response=*/true);
  ASSERT_TRUE(idle.has_value());
  ExpectANewViewerIsServed(*s, *idle);
}

// The test pattern, failing while `failing` is set (Next() and Reopen()),
// like a camera unplugged and plugged back.
class FlakySource : public FrameSource {
 public:
  explicit FlakySource(std::shared_ptr<std::atomic<bool>> failing)
      : inner_(*MakeFrameSource("test", {.width = 320, .height = 240})),
        failing_(std::move(failing)) {}
  absl::StatusOr<cv::Mat> Next() override {
    if (failing_->load()) return absl::UnavailableError("camera unplugged");
    return inner_->Next();
  }
  absl::Status Reopen() override {
    if (failing_->load()) return absl::UnavailableError("still unplugged");
    return absl::OkStatus();
  }
  std::string Describe() const override { return "flaky"; }

 private:
  std::unique_ptr<FrameSource> inner_;
  std::shared_ptr<std::atomic<bool>> failing_;
};

// Reads parts of an open stream until one's frame number, as read from its
// pixels, satisfies `want`; false after `max_parts` parts.
bool ReadUntil(Client& c, const std::function<bool(int64_t)>& want,
               int max_parts) {
  for (int i = 0; i < max_parts; ++i) {
    std::optional<Client::Part> part = c.ReadPart();
    if (!part) return false;
    cv::Mat img =
        cv::imdecode(std::vector<uchar>(part->jpeg.begin(), part->jpeg.end()),
                     cv::IMREAD_COLOR);
    if (want(ReadFrameNumber(img))) return true;
  }
  return false;
}

// Streams from `port` while `set_lost(true)` takes the source away and
// `set_lost(false)` brings it back: the open stream gets NO SIGNAL frames
// meanwhile, /stats and /state say the source is offline and /stats says
// `why`, and the same connection goes on with real frames afterwards.
void ExpectNoSignalThenRecovery(int port,
                                const std::function<void(bool)>& set_lost,
                                absl::string_view why) {
  Client c(port);
  c.Send("GET /stream HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(c.ReadHead());
  auto real = [](int64_t n) { return n > 0; };
  auto no_signal = [](int64_t n) { return n == -1; };
  ASSERT_TRUE(ReadUntil(c, real, 100));

  set_lost(true);
  ASSERT_TRUE(ReadUntil(c, no_signal, 200));
  ASSERT_TRUE(ReadUntil(c, no_signal, 200));  // and they keep coming
  std::string stats = Get(port, "GET /stats HTTP/1.1\r\n\r\n");
  EXPECT_THAT(stats, HasSubstr("\"online\": false"));
  EXPECT_THAT(stats, HasSubstr(why));
  EXPECT_THAT(Get(port, "GET /state HTTP/1.1\r\n\r\n"),
              HasSubstr("\"online\": false"));

  set_lost(false);
  ASSERT_TRUE(ReadUntil(c, real, 200));  // same connection, no reconnect
  stats = Get(port, "GET /stats HTTP/1.1\r\n\r\n");
  EXPECT_THAT(stats, HasSubstr("\"online\": true"));
  EXPECT_THAT(stats, HasSubstr("\"recoveries\": 1"));
}

TEST_P(StreamerTest, ALostSourceShowsNoSignalThenRecoversOnTheSameStream) {
  auto failing = std::make_shared<std::atomic<bool>>(false);
  StreamerOptions o;
  o.port = 0;
  o.serving = GetParam();
  o.encoders = 2;
  auto s = Streamer::Start(std::make_unique<FlakySource>(failing), o);
  ASSERT_THAT(s.status(), IsOk());
  ExpectNoSignalThenRecovery((*s)->port(),
                             [failing](bool lost) { failing->store(lost); },
                             "unplugged");
}

// A camera that stops delivering without failing: Next() blocks while the
// test holds it. Records whether any call ever overlapped another.
class HangingSource : public FrameSource {
 public:
  struct Control {
    absl::Mutex mu;
    bool hang ABSL_GUARDED_BY(mu) = false;
    int in_flight ABSL_GUARDED_BY(mu) = 0;
    bool overlapped ABSL_GUARDED_BY(mu) = false;
    void Hang(bool on) {
      absl::MutexLock l(&mu);
      hang = on;
    }
  };
  explicit HangingSource(std::shared_ptr<Control> control)
      : inner_(*MakeFrameSource("test", {.width = 320, .height = 240})),
        control_(std::move(control)) {}
  absl::StatusOr<cv::Mat> Next() override {
    {
      absl::MutexLock l(&control_->mu);
      Enter();
      control_->mu.Await(absl::Condition(
          +[](Control* c) ABSL_NO_THREAD_SAFETY_ANALYSIS { return !c->hang; },
          control_.get()));
      --control_->in_flight;
    }
    return inner_->Next();
  }
  absl::Status Reopen() override {
    absl::MutexLock l(&control_->mu);
    Enter();
    --control_->in_flight;
    return absl::OkStatus();
  }
  std::string Describe() const override { return "hanging"; }

 private:
  void Enter() ABSL_EXCLUSIVE_LOCKS_REQUIRED(control_->mu) {
    if (control_->in_flight > 0) control_->overlapped = true;
    ++control_->in_flight;
  }
  std::unique_ptr<FrameSource> inner_;
  std::shared_ptr<Control> control_;
};

TEST_P(StreamerTest, ACaptureThatHangsForDeviceTimeoutIsALostSource) {
  auto control = std::make_shared<HangingSource::Control>();
  StreamerOptions o;
  o.port = 0;
  o.serving = GetParam();
  o.encoders = 2;
  o.device_timeout = absl::Milliseconds(200);
  auto s = Streamer::Start(std::make_unique<HangingSource>(control), o);
  ASSERT_THAT(s.status(), IsOk());
  // Runs first on the way out, so that no capture is left hanging when
  // the streamer stops.
  absl::Cleanup release = [control] { control->Hang(false); };
  ExpectNoSignalThenRecovery((*s)->port(),
                             [control](bool lost) { control->Hang(lost); },
                             "hanging: no frame within 200ms");
  absl::MutexLock l(&control->mu);
  EXPECT_FALSE(control->overlapped) << "a call reached the source while "
                                       "another hung";
}

// Over a second of streaming at 30 fps: the rates are windowed averages, so
// they never read above the source's pace (the first version read 69 fps
// from 3 frames); the exact figure is rate_window_test's, on a fake clock.
TEST_P(StreamerTest, StatsShowWindowedRatesAndThePanelShowsThem) {
  auto s = StartStreamer(GetParam());
  Client c(s->port());
  c.Send("GET /stream HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(c.ReadHead());
  for (int i = 0; i < 45; ++i) ASSERT_TRUE(c.ReadPart());
  std::string stats = Get(s->port(), "GET /stats HTTP/1.1\r\n\r\n");
  auto number = [&stats](absl::string_view key) {
    size_t at = stats.find(absl::StrCat("\"", key, "\": "));
    EXPECT_NE(at, std::string::npos) << key << " in " << stats;
    double v = -1;
    if (at == std::string::npos) return v;
    absl::string_view rest =
        absl::string_view(stats).substr(at + key.size() + 4);
    (void)absl::SimpleAtod(rest.substr(0, rest.find_first_of(",}")), &v);
    return v;
  };
  EXPECT_GT(number("capture_fps"), 0);
  EXPECT_LE(number("capture_fps"), 33.0);
  EXPECT_GT(number("sent_fps"), 0);
  EXPECT_LE(number("sent_fps"), 33.0);
  EXPECT_GE(number("connected_s"), 0);
  std::string page = Get(s->port(), "GET / HTTP/1.1\r\n\r\n");
  for (const char* id : {"capture_fps", "sent_fps", "frames", "clients",
                         "resolution", "format", "streams"}) {
    EXPECT_THAT(page, HasSubstr(absl::StrCat("id=\"", id, "\""))) << id;
  }
}

// Which of `jpegs` `part` is, byte for byte; -1 if none. On none, `*why`
// says where it parts from the nearest (the longest common start) and in
// which marker's segment, so that a container that changed a marker is
// named.
int WhichJpeg(const std::string& part, const std::vector<std::string>& jpegs,
              std::string* why) {
  size_t best = 0, best_common = 0;
  for (size_t i = 0; i < jpegs.size(); ++i) {
    if (part == jpegs[i]) return static_cast<int>(i);
    size_t common = 0;
    while (common < part.size() && common < jpegs[i].size() &&
           part[common] == jpegs[i][common]) {
      ++common;
    }
    if (common > best_common) best = i, best_common = common;
  }
  int marker = -1;  // the last marker before the first difference
  for (size_t at = 0; at + 1 < best_common; ++at) {
    if (static_cast<uint8_t>(part[at]) == 0xFF &&
        static_cast<uint8_t>(part[at + 1]) != 0x00) {
      marker = static_cast<uint8_t>(part[at + 1]);
    }
  }
  *why = absl::StrFormat(
      "a part of %d bytes differs from file %d (%d bytes) at byte %d, in the "
      "segment of marker 0xFF%02X",
      part.size(), best, jpegs[best].size(), best_common, marker);
  return -1;
}

// MJPEG passthrough end to end: an MJPEG AVI made from JPEG files with
// ffmpeg -c copy, one of them cut short. Every part a client gets is one of
// the whole files byte for byte (nothing decoded or encoded again), the cut
// one never goes out, and /stats counts it.
TEST_P(StreamerTest, MjpegPassthroughSendsTheFilesJpegsAsTheyAre) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/passthrough",
                                       static_cast<int>(GetParam()));
  ASSERT_EQ(system(absl::StrCat("mkdir -p '", dir, "'").c_str()), 0);
  absl::StatusOr<MjpegClip> clip = MakeMjpegClip(dir, 5, /*cut=*/{2});
  ASSERT_THAT(clip.status(), IsOk());
  absl::StatusOr<std::unique_ptr<FrameSource>> src = MakeFrameSource(
      "file:" + clip->path, {.fps = 30, .format = FormatRequest::kMjpeg});
  ASSERT_THAT(src.status(), IsOk());
  StreamerOptions o;
  o.port = 0;
  o.serving = GetParam();
  o.encoders = 2;
  auto s = Streamer::Start(*std::move(src), o);
  ASSERT_THAT(s.status(), IsOk());
  Client c((*s)->port());
  c.Send("GET /stream HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(c.ReadHead());
  int64_t previous = 0;
  std::set<int> seen;
  for (int i = 0; i < 12; ++i) {
    std::optional<Client::Part> part = c.ReadPart();
    ASSERT_TRUE(part);
    EXPECT_GT(part->number, previous);
    previous = part->number;
    std::string why;
    const int which = WhichJpeg(part->jpeg, clip->jpegs, &why);
    EXPECT_NE(which, -1) << why;
    EXPECT_NE(which, 2) << "the cut frame went out";
    seen.insert(which);
  }
  EXPECT_GE(seen.size(), 2u);  // the file plays, not one frame again
  const std::string stats = Get((*s)->port(), "GET /stats HTTP/1.1\r\n\r\n");
  EXPECT_THAT(stats, HasSubstr("\"format\": \"mjpeg\""));
  EXPECT_THAT(stats, ::testing::ContainsRegex("\"skipped_corrupt\": [1-9]"));
}

// A still scene: the same picture every time.
class StillSource : public FrameSource {
 public:
  absl::StatusOr<cv::Mat> Next() override {
    return cv::Mat(240, 320, CV_8UC3, cv::Scalar(10, 120, 200));
  }
  std::string Describe() const override { return "still"; }
};

TEST_P(StreamerTest, DesiredFpsAndSameFramesSaveWorkAndStatsCountIt) {
  StreamerOptions o;
  o.port = 0;
  o.serving = GetParam();
  o.encoders = 2;
  o.fps = 30;
  o.desired_fps = 15;
  o.drop_same_frames = 5;
  auto s = Streamer::Start(std::make_unique<StillSource>(), o);
  ASSERT_THAT(s.status(), IsOk());
  Client c((*s)->port());
  c.Send("GET /stream HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(c.ReadHead());
  // Three frames sent: the first, then one after each 5 dropped as the same,
  // each of those kept from every second capture (15 of 30).
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c.ReadPart());
  std::string stats = Get((*s)->port(), "GET /stats HTTP/1.1\r\n\r\n");
  EXPECT_THAT(stats, ::testing::ContainsRegex(
                         "\"dropped_same_frames\": (1[0-9]|[2-9][0-9])"));
  EXPECT_THAT(stats, ::testing::ContainsRegex(
                         "\"skipped_for_desired_fps\": ([2-9][0-9]|1[2-9])"));
  EXPECT_THAT(stats, ::testing::ContainsRegex("\"frames_read\": [2-9][0-9]"));
  EXPECT_THAT(stats, HasSubstr("\"encoders\": 2,"));
}

// With no descriptor to be had, the event loop cannot start: an error that
// names the call, not a loop that waits on nothing.
TEST(StreamLoopTest, NoDescriptorLeftIsAnErrorNamingTheCall) {
  FrameHub hub;
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
  rlimit none = old;
  none.rlim_cur = 0;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &none), 0);
  absl::StatusOr<std::unique_ptr<StreamLoop>> loop =
      StreamLoop::Create(hub, absl::Seconds(1), [](int64_t) {});
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
  EXPECT_THAT(loop.status().message(), HasSubstr("epoll_create1"));
  EXPECT_FALSE(loop.ok());
}

// A viewer gets each frame once: one that joins late starts at the newest
// frame, having skipped nothing, and another viewer's arrival does not send
// it again the frame it already has.
TEST(StreamLoopTest, EachViewerGetsEachFrameOnceAndSkipsOnlyWhatItMissed) {
  FrameHub hub;
  auto publish = [&hub](int64_t number) {
    auto f = std::make_shared<Frame>();
    f->number = number;
    f->jpeg = absl::StrCat("jpeg of frame ", number);
    hub.Publish(std::move(f));
  };
  for (int64_t n = 1; n <= 3; ++n) publish(n);
  absl::StatusOr<std::unique_ptr<StreamLoop>> loop =
      StreamLoop::Create(hub, absl::Seconds(60), [](int64_t) {});
  ASSERT_THAT(loop.status(), IsOk());
  std::vector<std::unique_ptr<Client>> viewers;
  std::vector<std::shared_ptr<StreamCounts>> counts;
  auto join = [&] {
    int ends[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends), 0);
    counts.push_back(std::make_shared<StreamCounts>());
    (*loop)->Add(concurrency::io::ScopedFd(ends[0]),
                 static_cast<int64_t>(counts.size()), counts.back());
    viewers.push_back(
        std::make_unique<Client>(concurrency::io::ScopedFd(ends[1])));
  };
  auto next_frame = [&](size_t viewer) -> int64_t {
    std::optional<Client::Part> p = viewers[viewer]->ReadPart();
    if (!p) return -1;
    EXPECT_EQ(p->jpeg, absl::StrCat("jpeg of frame ", p->number));
    return p->number;
  };
  ASSERT_NO_FATAL_FAILURE(join());
  EXPECT_EQ(next_frame(0), 3);
  ASSERT_NO_FATAL_FAILURE(join());
  EXPECT_EQ(next_frame(1), 3);
  publish(4);
  (*loop)->FrameReady();
  EXPECT_EQ(next_frame(0), 4);
  EXPECT_EQ(next_frame(1), 4);
  (*loop)->Stop();  // joins the loop thread: the counts are final
  for (const std::shared_ptr<StreamCounts>& c : counts) {
    EXPECT_EQ(c->sent.load(), 2);
    EXPECT_EQ(c->skipped.load(), 0);
  }
}

// A viewer still taking an old frame when newer ones come gets the newest
// as soon as it is done, skipping (and counting) the ones in between; what
// a viewer sends is read and ignored; a viewer that hangs up is closed.
TEST(StreamLoopTest, ASlowViewerCatchesUpWithTheNewestFrame) {
  FrameHub hub;
  auto publish = [&hub](int64_t number) {
    auto f = std::make_shared<Frame>();
    f->number = number;
    f->jpeg = std::string(4 << 20, static_cast<char>('a' + number));
    hub.Publish(std::move(f));
  };
  publish(1);
  absl::Notification closed;
  absl::StatusOr<std::unique_ptr<StreamLoop>> loop =
      StreamLoop::Create(hub, absl::Seconds(60), [&closed](int64_t id) {
        EXPECT_EQ(id, 7);
        closed.Notify();
      });
  ASSERT_THAT(loop.status(), IsOk());
  int ends[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends), 0);
  auto counts = std::make_shared<StreamCounts>();
  (*loop)->Add(concurrency::io::ScopedFd(ends[0]), 7, counts);
  Client viewer{concurrency::io::ScopedFd(ends[1])};
  // Frame 1 has begun (its head is here), and it is far larger than the
  // socket holds: it is still going out while frames 2 and 3 come.
  std::optional<std::string> head = viewer.ReadHead();
  ASSERT_TRUE(head.has_value());
  EXPECT_THAT(*head, HasSubstr("X-Frame-Number: 1\r\n"));
  ASSERT_TRUE(viewer.Send("a request the stream ignores\r\n\r\n"));
  publish(2);
  (*loop)->FrameReady();
  publish(3);
  (*loop)->FrameReady();
  std::optional<std::string> body = viewer.ReadN((4 << 20) + 2);
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ(*body, std::string(4 << 20, 'b') + "\r\n");
  std::optional<Client::Part> next = viewer.ReadPart();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->number, 3);
  EXPECT_EQ(next->jpeg, std::string(4 << 20, 'd'));
  viewer.ShutdownWrite();  // the viewer hangs up
  closed.WaitForNotification();
  (*loop)->Stop();
  EXPECT_EQ(counts->sent.load(), 2);
  EXPECT_EQ(counts->skipped.load(), 1);
}

// The defaults camera/README.md documents for the streamer's flags (which
// take theirs from StreamerOptions).
TEST(StreamerOptionsTest, DefaultsAreTheDocumentedOnes) {
  const StreamerOptions o;
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 9000);
  EXPECT_EQ(o.max_clients, 100);
  EXPECT_EQ(o.max_connections, 4096);
  EXPECT_EQ(o.send_timeout, absl::Seconds(10));
  EXPECT_EQ(o.stream_send_buffer, 256 << 10);
  EXPECT_EQ(o.fps, 30);
  EXPECT_EQ(o.jpeg_quality, 40);
  EXPECT_EQ(o.extra_threads, 8);
  EXPECT_EQ(o.max_header_bytes, 8192u);  // "a request head over 8 KiB 431"
  EXPECT_EQ(o.header_timeout, absl::Seconds(5));
  EXPECT_EQ(o.serving, Serving::kEventLoop);
  EXPECT_TRUE(o.credentials.empty());
  EXPECT_EQ(o.allow_origin, "");
  EXPECT_EQ(o.desired_fps, 0);
  EXPECT_EQ(o.drop_same_frames, 0);
  EXPECT_EQ(o.device_timeout, absl::Seconds(1));
  EXPECT_EQ(o.encoders, 1);
}

// JPEG qualities run from 1 to 100, both ends included.
TEST(StreamerOptionsTest, QualitiesFromOneToOneHundred) {
  for (int quality : {0, 1, 100, 101}) {
    StreamerOptions o;
    o.port = 0;
    o.jpeg_quality = quality;
    absl::StatusOr<std::unique_ptr<FrameSource>> src =
        MakeFrameSource("test", {.width = 64, .height = 48, .fps = 30});
    ASSERT_THAT(src.status(), IsOk());
    absl::StatusOr<std::unique_ptr<Streamer>> s =
        Streamer::Start(*std::move(src), o);
    EXPECT_EQ(s.ok(), quality >= 1 && quality <= 100) << quality;
  }
}

// The smallest send buffer is 4096 bytes: a frame head always fits.
TEST(StreamerOptionsTest, ASendBufferTooSmallForAFrameHeadIsRefused) {
  for (int bytes : {100, 4095, 4096}) {
    StreamerOptions o;
    o.port = 0;
    o.stream_send_buffer = bytes;
    absl::StatusOr<std::unique_ptr<FrameSource>> src =
        MakeFrameSource("test", {.width = 64, .height = 48, .fps = 30});
    ASSERT_THAT(src.status(), IsOk());
    absl::StatusOr<std::unique_ptr<Streamer>> s =
        Streamer::Start(*std::move(src), o);
    if (bytes < 4096) {
      EXPECT_THAT(s.status().message(), HasSubstr("stream_send_buffer"))
          << bytes;
    } else {
      EXPECT_THAT(s.status(), IsOk());
    }
  }
}

TEST_P(StreamerTest, StopEndsStreamsAndJoins) {
  auto s = StartStreamer(GetParam());
  Client c(s->port());
  c.Send("GET /stream HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(c.ReadHead());
  ASSERT_TRUE(c.ReadPart());
  s->Stop();  // returns only once every thread has ended
  EXPECT_TRUE(c.ReadsToEndOfStream()) << "the stream was not closed";
  EXPECT_TRUE(s->WaitForClients(0, absl::Seconds(1)));
}

// A source that gives nothing until the test lets it go.
class StuckSource : public FrameSource {
 public:
  explicit StuckSource(std::shared_ptr<absl::Notification> release)
      : release_(std::move(release)) {}
  absl::StatusOr<cv::Mat> Next() override {
    release_->WaitForNotification();
    return absl::UnavailableError("released");
  }
  std::string Describe() const override { return "stuck"; }

 private:
  std::shared_ptr<absl::Notification> release_;
};

// A snapshot waits a bounded time for a frame, then says there is none.
// (With the default device_timeout, a NO SIGNAL frame comes first.)
TEST(StreamerSnapshotTest, NoFrameInTimeIsServiceUnavailable) {
  auto release = std::make_shared<absl::Notification>();
  StreamerOptions o;
  o.port = 0;
  o.device_timeout = absl::Hours(1);
  absl::StatusOr<std::unique_ptr<Streamer>> s =
      Streamer::Start(std::make_unique<StuckSource>(release), o);
  ASSERT_THAT(s.status(), IsOk());
  // Before the streamer stops (it joins the capture thread), even when an
  // assertion below fails.
  absl::Cleanup let_go = [&] {
    if (!release->HasBeenNotified()) release->Notify();
  };
  const std::string got = Get((*s)->port(), "GET /snapshot HTTP/1.1\r\n\r\n");
  EXPECT_THAT(got, HasSubstr("HTTP/1.1 503 Service Unavailable"));
  EXPECT_THAT(got, HasSubstr("no frame available"));
}

// A test pattern under a name with quotes, a backslash and control bytes.
class OddlyNamedSource : public FrameSource {
 public:
  OddlyNamedSource()
      : inner_(*MakeFrameSource("test", {.width = 320, .height = 240})) {}
  absl::StatusOr<cv::Mat> Next() override { return inner_->Next(); }
  std::string Describe() const override {
    return "cam \"one\" \\ tab\there\x1f\x01!";
  }

 private:
  std::unique_ptr<FrameSource> inner_;
};

// The source's name goes into /stats as a JSON string: quotes and
// backslashes escaped, control characters left out.
TEST(StreamerStatsTest, TheSourceNameIsAValidJsonString) {
  StreamerOptions o;
  o.port = 0;
  absl::StatusOr<std::unique_ptr<Streamer>> s =
      Streamer::Start(std::make_unique<OddlyNamedSource>(), o);
  ASSERT_THAT(s.status(), IsOk());
  EXPECT_THAT(Get((*s)->port(), "GET /stats HTTP/1.1\r\n\r\n"),
              HasSubstr("\"source\": \"cam \\\"one\\\" \\\\ tabhere!\""));
}

}  // namespace
}  // namespace camera
