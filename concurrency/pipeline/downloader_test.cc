#include "concurrency/pipeline/downloader.h"

#include <stdlib.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "concurrency/http/misbehaving_server.h"
#include "concurrency/io/atomic_file.h"
#include "concurrency/io/file_util.h"
#include "concurrency/pipeline/prices.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/refusing_port.h"
#include "tools/testing/status_matchers.h"

namespace concurrency::pipeline {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing_util::IsOk;
using ::testing_util::StatusIs;

// Records the waits between attempts instead of sleeping.
struct Waits {
  absl::Mutex mu;
  std::vector<absl::Duration> waits;
  std::function<void(absl::Duration)> Fn() {
    return [this](absl::Duration d) {
      absl::MutexLock l(&mu);
      waits.push_back(d);
    };
  }
};

DownloaderOptions FastOptions(Waits* waits) {
  DownloaderOptions o;
  o.credentials = {"user", "secret-password"};
  o.retry.max_attempts = 4;
  o.retry.initial_backoff = absl::Milliseconds(100);
  o.retry.jitter = 0;
  o.sleep = waits->Fn();
  return o;
}

// A handler that answers from a script, one response per request, then
// repeats the last one.
http::MisbehavingServer::Script Script(
    std::vector<http::ScriptedResponse> script, std::atomic<int>* calls) {
  return [script, calls](const http::HttpRequest&) {
    int i = calls->fetch_add(1);
    return script[std::min<size_t>(i, script.size() - 1)];
  };
}

http::ScriptedResponse Status(int code) {
  http::ScriptedResponse r;
  r.response.status = code;
  return r;
}

http::ScriptedResponse Body(std::string body) {
  http::ScriptedResponse r;
  r.response.body = std::move(body);
  return r;
}

TEST(DownloaderTest, FetchesWithBasicAuth) {
  auto server = StartPriceFeed(
      {.credentials = {.user = "user", .password = "secret-password"},
       .pages = 3});
  ASSERT_THAT(server.status(), IsOk());
  Waits waits;
  Downloader d(FastOptions(&waits));
  absl::StatusOr<std::string> body =
      d.Fetch((*server)->base_url() + "/prices.csv?page_size=10&page_number=2");
  ASSERT_THAT(body.status(), IsOk());
  EXPECT_EQ(*body, PricePageCsv(2, 10));
  EXPECT_EQ(d.attempts(), 1);
}

// Any page size limit, down to one byte, is checked against the
// Content-Length before a byte of the body is taken.
TEST(DownloaderTest, APageOverTheSizeLimitIsRefusedByItsContentLength) {
  auto server = StartPriceFeed(
      {.credentials = {.user = "user", .password = "secret-password"},
       .pages = 3});
  ASSERT_THAT(server.status(), IsOk());
  for (int64_t limit : {int64_t{1}, int64_t{100}}) {
    Waits waits;
    DownloaderOptions o = FastOptions(&waits);
    o.max_page_size = limit;
    Downloader d(o);
    absl::Status s =
        d.Fetch((*server)->base_url() + "/prices.csv?page_number=1").status();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted,
                            HasSubstr(absl::StrCat(
                                "a Content-Length over the page size limit of ",
                                limit, " bytes"))));
    EXPECT_EQ(d.attempts(), 1);
  }
}

// The limit is the largest page taken: a page of exactly that many bytes is
// fetched whole, one byte more is refused.
TEST(DownloaderTest, APageOfExactlyTheSizeLimitIsTaken) {
  auto server = StartPriceFeed(
      {.credentials = {.user = "user", .password = "secret-password"},
       .pages = 3});
  ASSERT_THAT(server.status(), IsOk());
  const std::string url = (*server)->base_url() + "/prices.csv?page_number=1";
  const int64_t size = static_cast<int64_t>(PricePageCsv(1, 100).size());
  for (int64_t limit : {size, size - 1}) {
    Waits waits;
    DownloaderOptions o = FastOptions(&waits);
    o.max_page_size = limit;
    Downloader d(o);
    absl::StatusOr<std::string> body = d.Fetch(url);
    if (limit == size) {
      ASSERT_THAT(body.status(), IsOk());
      EXPECT_EQ(*body, PricePageCsv(1, 100));
    } else {
      EXPECT_THAT(body.status(),
                  StatusIs(absl::StatusCode::kResourceExhausted));
    }
  }
}

TEST(DownloaderTest, WrongPasswordIsNotRetriedAndNotPrinted) {
  auto server = StartPriceFeed(
      {.credentials = {.user = "user", .password = "other"}, .pages = 3});
  ASSERT_THAT(server.status(), IsOk());
  Waits waits;
  Downloader d(FastOptions(&waits));
  std::string url = (*server)->base_url() + "/prices.csv?page_number=1";
  absl::Status s = d.Fetch(url).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied,
                          AllOf(HasSubstr(url), HasSubstr("HTTP 401"),
                                HasSubstr("not retried"),
                                Not(HasSubstr("secret-password")))));
  EXPECT_EQ(d.attempts(), 1);
  EXPECT_TRUE(waits.waits.empty());
}

TEST(DownloaderTest, MissingPageIsNotFoundAtOnce) {
  std::atomic<int> calls{0};
  auto server = http::MisbehavingServer::Start(Script({Status(404)}, &calls));
  ASSERT_THAT(server.status(), IsOk());
  Waits waits;
  Downloader d(FastOptions(&waits));
  EXPECT_THAT(d.Fetch((*server)->base_url() + "/p?page_number=99").status(),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("page_number=99: HTTP 404")));
  EXPECT_EQ(calls.load(), 1);
}

TEST(DownloaderTest, EveryOther4xxAndAnUnfollowed3xxIsFinalAfterOneRequest) {
  struct Case {
    int status;
    absl::StatusCode code;
  };
  for (const Case& c : {Case{400, absl::StatusCode::kInvalidArgument},
                        Case{401, absl::StatusCode::kPermissionDenied},
                        Case{403, absl::StatusCode::kPermissionDenied},
                        Case{404, absl::StatusCode::kNotFound},
                        Case{405, absl::StatusCode::kInvalidArgument},
                        Case{410, absl::StatusCode::kInvalidArgument},
                        Case{451, absl::StatusCode::kInvalidArgument},
                        // A 3xx with no Location to follow is no page either.
                        Case{300, absl::StatusCode::kInvalidArgument},
                        Case{304, absl::StatusCode::kInvalidArgument}}) {
    SCOPED_TRACE(c.status);
    std::atomic<int> calls{0};
    auto server =
        http::MisbehavingServer::Start(Script({Status(c.status)}, &calls));
    ASSERT_THAT(server.status(), IsOk());
    Waits waits;
    Downloader d(FastOptions(&waits));
    EXPECT_THAT(d.Fetch((*server)->base_url() + "/p").status(),
                StatusIs(c.code, HasSubstr(absl::StrCat("HTTP ", c.status,
                                                        " (not retried)"))));
    EXPECT_EQ(calls.load(), 1);
    EXPECT_EQ(d.attempts(), 1);
  }
  // 408 and 429 are the 4xx that are retried.
  for (int retried : {408, 429}) {
    std::atomic<int> calls{0};
    auto server =
        http::MisbehavingServer::Start(Script({Status(retried)}, &calls));
    ASSERT_THAT(server.status(), IsOk());
    Waits waits;
    Downloader d(FastOptions(&waits));
    EXPECT_THAT(d.Fetch((*server)->base_url() + "/p").status(),
                StatusIs(absl::StatusCode::kUnavailable,
                         HasSubstr("gave up after 4 attempts")));
    EXPECT_EQ(calls.load(), 4) << retried;
  }
}

TEST(DownloaderTest, RetriesServerErrorsWithExponentialBackoff) {
  std::atomic<int> calls{0};
  auto server = http::MisbehavingServer::Start(
      Script({Status(500), Status(503), Body("ok")}, &calls));
  ASSERT_THAT(server.status(), IsOk());
  Waits waits;
  DownloaderOptions o = FastOptions(&waits);
  std::vector<std::string> lines;
  o.log = [&lines](absl::string_view line) { lines.emplace_back(line); };
  Downloader d(o);
  absl::StatusOr<std::string> body = d.Fetch((*server)->base_url() + "/x");
  ASSERT_THAT(body.status(), IsOk());
  EXPECT_EQ(*body, "ok");
  EXPECT_EQ(calls.load(), 3);
  EXPECT_THAT(waits.waits,
              ElementsAre(absl::Milliseconds(100), absl::Milliseconds(200)));
  // Each retry is logged with its wait and the attempt it will be.
  EXPECT_THAT(lines, ElementsAre(HasSubstr("/x: HTTP 500; retrying in 100ms "
                                           "(attempt 2 of 4)"),
                                 HasSubstr("/x: HTTP 503; retrying in 200ms "
                                           "(attempt 3 of 4)")));
}

TEST(DownloaderTest, JitterKeepsWaitsWithinItsBounds) {
  std::atomic<int> calls{0};
  auto server = http::MisbehavingServer::Start(Script({Status(502)}, &calls));
  ASSERT_THAT(server.status(), IsOk());
  Waits waits;
  DownloaderOptions o = FastOptions(&waits);
  o.retry.jitter = 0.5;
  o.retry.max_attempts = 6;
  o.retry.max_backoff = absl::Milliseconds(400);
  Downloader d(o);
  EXPECT_THAT(d.Fetch((*server)->base_url() + "/x").status(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("gave up after 6 attempts; the last got "
                                 "HTTP 502")));
  ASSERT_EQ(waits.waits.size(), 5u);
  const absl::Duration base[] = {
      absl::Milliseconds(100), absl::Milliseconds(200), absl::Milliseconds(400),
      absl::Milliseconds(400), absl::Milliseconds(400)};
  for (int i = 0; i < 5; ++i) {
    EXPECT_GE(waits.waits[i], base[i] * 0.5) << i;
    EXPECT_LE(waits.waits[i], base[i] * 1.5) << i;
  }
  EXPECT_EQ(calls.load(), 6);
}

TEST(DownloaderTest, HonoursRetryAfter) {
  std::atomic<int> calls{0};
  http::ScriptedResponse busy = Status(429);
  busy.response.headers.emplace_back("Retry-After", "3");
  auto server =
      http::MisbehavingServer::Start(Script({busy, Body("ok")}, &calls));
  ASSERT_THAT(server.status(), IsOk());
  Waits waits;
  Downloader d(FastOptions(&waits));
  ASSERT_THAT(d.Fetch((*server)->base_url() + "/x").status(), IsOk());
  EXPECT_THAT(waits.waits, ElementsAre(absl::Seconds(3)));
}

TEST(DownloaderTest, RetryAfterBeyondTheLimitEndsRetries) {
  std::atomic<int> calls{0};
  http::ScriptedResponse busy = Status(503);
  busy.response.headers.emplace_back("Retry-After", "3600");
  auto server =
      http::MisbehavingServer::Start(Script({busy, Body("ok")}, &calls));
  ASSERT_THAT(server.status(), IsOk());
  Waits waits;
  Downloader d(FastOptions(&waits));
  EXPECT_THAT(d.Fetch((*server)->base_url() + "/x").status(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("asked to retry after 1h")));
  EXPECT_EQ(calls.load(), 1);
}

TEST(DownloaderTest, SlowResponseTimesOut) {
  std::atomic<int> calls{0};
  http::ScriptedResponse slow = Body("late");
  slow.delay = absl::Seconds(30);
  auto server = http::MisbehavingServer::Start(Script({slow}, &calls));
  ASSERT_THAT(server.status(), IsOk());
  Waits waits;
  DownloaderOptions o = FastOptions(&waits);
  o.timeout = absl::Milliseconds(200);
  o.retry.max_attempts = 2;
  Downloader d(o);
  EXPECT_THAT(d.Fetch((*server)->base_url() + "/x").status(),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("gave up after 2 attempts")));
}

TEST(DownloaderTest, TruncatedBodyIsNeverData) {
  std::atomic<int> calls{0};
  http::ScriptedResponse cut = Body(std::string(10000, 'x'));
  cut.truncate_body_at = 4000;
  auto server = http::MisbehavingServer::Start(Script({cut}, &calls));
  ASSERT_THAT(server.status(), IsOk());
  Waits waits;
  Downloader d(FastOptions(&waits));
  EXPECT_THAT(d.Fetch((*server)->base_url() + "/x").status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("gave up after 4 attempts")));
  EXPECT_EQ(calls.load(), 4);
}

TEST(DownloaderTest, TruncatedOnceThenWhole) {
  std::atomic<int> calls{0};
  http::ScriptedResponse cut = Body("0123456789");
  cut.truncate_body_at = 3;
  auto server =
      http::MisbehavingServer::Start(Script({cut, Body("0123456789")}, &calls));
  ASSERT_THAT(server.status(), IsOk());
  Waits waits;
  Downloader d(FastOptions(&waits));
  absl::StatusOr<std::string> body = d.Fetch((*server)->base_url() + "/x");
  ASSERT_THAT(body.status(), IsOk());
  EXPECT_EQ(*body, "0123456789");
}

TEST(DownloaderTest, ServerDownIsUnavailableAfterTheAttempts) {
  testing_util::RefusingPort down;
  const int port = down.port();
  ASSERT_NE(port, 0);
  Waits waits;
  Downloader d(FastOptions(&waits));
  EXPECT_THAT(d.Fetch(absl::StrCat("http://127.0.0.1:", port, "/x")).status(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("gave up after 4 attempts")));
}

TEST(DownloaderTest, ManyThreadsFetchAtOnce) {
  auto server = StartPriceFeed(
      {.credentials = {.user = "user", .password = "secret-password"},
       .pages = 40});
  ASSERT_THAT(server.status(), IsOk());
  Waits waits;
  Downloader d(FastOptions(&waits));
  std::vector<std::thread> threads;
  std::vector<std::string> bodies(40);
  for (int i = 0; i < 40; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<std::string> b =
          d.Fetch(absl::StrCat((*server)->base_url(),
                               "/prices.csv?page_size=20&page_number=", i + 1));
      if (b.ok()) bodies[i] = *b;
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 40; ++i)
    EXPECT_EQ(bodies[i], PricePageCsv(i + 1, 20)) << i;
}

// A transfer prepared for a new attempt starts unpaused and holding
// nothing, whatever the attempt before it left.
TEST(EasyTransferTest, APreparedTransferStartsUnpausedAndEmpty) {
  EasyTransfer t;
  ASSERT_TRUE(t.valid());
  Waits waits;
  t.Prepare("http://127.0.0.1:1/prices.csv", FastOptions(&waits));
  EXPECT_FALSE(t.paused());
  EXPECT_EQ(t.held(), 0);
  t.DropBody();
  EXPECT_FALSE(t.paused());
  EXPECT_EQ(t.held(), 0);
}

TEST(RedactUrlTest, DropsUserinfo) {
  EXPECT_EQ(RedactUrl("http://u:p@host:1/a?b=c@d"), "http://host:1/a?b=c@d");
  EXPECT_EQ(RedactUrl("http://host/a@b"), "http://host/a@b");
}

TEST(DownloaderOptionsTest, DefaultsAreTheDocumentedOnes) {
  const RetryPolicy r;
  EXPECT_EQ(r.max_attempts, 5);
  EXPECT_EQ(r.initial_backoff, absl::Milliseconds(200));
  EXPECT_EQ(r.max_backoff, absl::Seconds(10));
  EXPECT_EQ(r.multiplier, 2.0);
  EXPECT_EQ(r.jitter, 0.2);
  EXPECT_EQ(r.max_retry_after, absl::Seconds(60));
  const DownloaderOptions d;
  EXPECT_EQ(d.connect_timeout, absl::Seconds(5));
  EXPECT_EQ(d.timeout, absl::Seconds(30));
  EXPECT_EQ(d.max_page_size, int64_t{256} << 20);
  EXPECT_EQ(d.max_redirects, 5);
}

}  // namespace
}  // namespace concurrency::pipeline
