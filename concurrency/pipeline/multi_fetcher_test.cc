#include "concurrency/pipeline/multi_fetcher.h"

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "concurrency/http/misbehaving_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"

namespace concurrency::pipeline {
namespace {

using ::testing::HasSubstr;
using ::testing_util::IsOk;
using ::testing_util::StatusIs;

MultiFetcherOptions Options(int max_in_flight) {
  MultiFetcherOptions o;
  o.download.retry.max_attempts = 3;
  o.download.retry.initial_backoff = absl::Milliseconds(1);
  o.download.retry.jitter = 0;
  o.download.timeout = absl::Seconds(30);
  o.max_in_flight = max_in_flight;
  o.max_per_host = max_in_flight;
  return o;
}

std::vector<std::string> Urls(const std::string& base, int n) {
  std::vector<std::string> urls;
  for (int i = 0; i < n; ++i) urls.push_back(absl::StrCat(base, "/p?i=", i));
  return urls;
}

int IndexOf(const http::HttpRequest& r) {
  int i = -1;
  EXPECT_TRUE(absl::SimpleAtoi(r.query.substr(2), &i)) << r.query;
  return i;
}

TEST(MultiFetcherTest, KeepsManyTransfersInFlightFromOneThread) {
  // The server answers nobody until 8 requests wait at once: a fetcher with
  // fewer in flight would stall on the 30 s guard and fail below.
  constexpr int kAtOnce = 8;
  absl::Mutex mu;
  int waiting = 0, most = 0;
  auto server = http::MisbehavingServer::Start(
      [&](const http::HttpRequest& r) {
        absl::MutexLock l(&mu);
        most = std::max(most, ++waiting);
        auto full = [&] { return most >= kAtOnce; };
        mu.AwaitWithTimeout(absl::Condition(&full), absl::Seconds(30));
        --waiting;
        http::ScriptedResponse s;
        s.response = http::TextResponse(200, absl::StrCat("body ", IndexOf(r)));
        return s;
      },
      /*threads=*/32);
  ASSERT_THAT(server, IsOk());
  MultiFetcher fetcher(Options(kAtOnce));
  std::map<size_t, std::string> bodies;
  ASSERT_THAT(fetcher.Run(Urls((*server)->base_url(), 40),
                          [&](size_t i, absl::StatusOr<std::string> body) {
                            ASSERT_THAT(body, IsOk());
                            bodies[i] = *body;
                          }),
              IsOk());
  ASSERT_EQ(bodies.size(), 40u);
  EXPECT_EQ(bodies[17], "body 17\n");
  EXPECT_EQ(fetcher.peak_in_flight(), kAtOnce);  // never more than allowed
  absl::MutexLock l(&mu);
  EXPECT_EQ(most, kAtOnce);
  EXPECT_EQ(fetcher.attempts(), 40);
}

TEST(MultiFetcherTest, RetriesAreTimersAndFinalErrorsKeepTheirCodes) {
  std::mutex mu;
  std::map<int, int> seen;
  auto server = http::MisbehavingServer::Start([&](const http::HttpRequest& r) {
    const int i = IndexOf(r);
    int n;
    {
      std::lock_guard<std::mutex> l(mu);
      n = ++seen[i];
    }
    http::ScriptedResponse s;
    if (i == 0) {
      s.response = http::TextResponse(404, "gone");
    } else if (i == 1) {
      s.response = http::TextResponse(401, "who");
    } else if (i == 2) {
      s.response = http::TextResponse(503, "always busy");
    } else if (n < 3) {
      s.response = http::TextResponse(503, "busy");  // twice, then fine
    } else {
      s.response = http::TextResponse(200, "ok");
    }
    return s;
  });
  ASSERT_THAT(server, IsOk());
  MultiFetcher fetcher(Options(4));
  std::map<size_t, absl::StatusOr<std::string>> results;
  ASSERT_THAT(fetcher.Run(Urls((*server)->base_url(), 10),
                          [&](size_t i, absl::StatusOr<std::string> body) {
                            results.emplace(i, std::move(body));
                          }),
              IsOk());
  ASSERT_EQ(results.size(), 10u);
  EXPECT_THAT(results.at(0), StatusIs(absl::StatusCode::kNotFound,
                                      HasSubstr("HTTP 404 (not retried)")));
  EXPECT_THAT(results.at(1), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(results.at(2),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("gave up after 3 attempts; the last got "
                                 "HTTP 503")));
  for (size_t i = 3; i < 10; ++i) {
    EXPECT_THAT(results.at(i), IsOk());
    EXPECT_EQ(*results.at(i), "ok\n");
  }
  std::lock_guard<std::mutex> l(mu);
  EXPECT_EQ(seen[0], 1);
  EXPECT_EQ(seen[1], 1);
  EXPECT_EQ(seen[2], 3);
  EXPECT_EQ(seen[5], 3);
  EXPECT_EQ(fetcher.attempts(), 1 + 1 + 3 + 7 * 3);
}

TEST(MultiFetcherTest, NothingToFetchReturnsAtOnce) {
  MultiFetcher fetcher(Options(4));
  int calls = 0;
  EXPECT_THAT(
      fetcher.Run({}, [&](size_t, absl::StatusOr<std::string>) { ++calls; }),
      IsOk());
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace concurrency::pipeline
