#include "concurrency/pipeline/multi_fetcher.h"

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "concurrency/http/misbehaving_server.h"
#include "concurrency/pipeline/hostile_feed.h"
#include "concurrency/pipeline/memory_budget.h"
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
  EXPECT_EQ(fetcher.handles(), kAtOnce);  // reused, 40 transfers on 8
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
  MultiFetcherOptions o = Options(4);
  std::vector<std::string> lines;  // the loop's thread is this one
  o.download.log = [&lines](absl::string_view l) { lines.emplace_back(l); };
  MultiFetcher fetcher(o);
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
  EXPECT_LE(fetcher.handles(), 4);  // a retry reuses a handle
  // Each retry is logged with the attempt it will be: the second and third
  // of 3, for the 8 URLs that got a 503.
  EXPECT_EQ(lines.size(), 16u);
  EXPECT_EQ(
      absl::c_count_if(lines,
                       [](const std::string& l) {
                         return absl::StrContains(
                             l, "HTTP 503; retrying in 1ms (attempt 2 of 3)");
                       }),
      8);
}

TEST(MultiFetcherTest, NothingToFetchReturnsAtOnce) {
  MultiFetcher fetcher(Options(4));
  int calls = 0;
  EXPECT_THAT(
      fetcher.Run({}, [&](size_t, absl::StatusOr<std::string>) { ++calls; }),
      IsOk());
  EXPECT_EQ(calls, 0);
}

// The waker runs on the first Give after someone found no room, and only
// then: a fetcher woken for every page's memory did 20,000 needless wakeups.
// A budget holds what it was given, and never less than one byte; what is
// taken and given back is counted, with the most ever held.
TEST(MemoryBudgetTest, HoldsItsLimitAndAtLeastOneByte) {
  for (int64_t asked : {int64_t{-5}, int64_t{0}, int64_t{1}}) {
    MemoryBudget b(asked);
    EXPECT_EQ(b.limit(), 1) << asked;
    EXPECT_FALSE(b.TryTake(2)) << asked;
    EXPECT_TRUE(b.TryTake(1)) << asked;
    EXPECT_FALSE(b.TryTake(1)) << asked;
  }
  MemoryBudget b(10);
  EXPECT_TRUE(b.TryTake(4));
  EXPECT_TRUE(b.TryTake(6));
  EXPECT_FALSE(b.TryTake(1));
  EXPECT_EQ(b.used(), 10);
  EXPECT_EQ(b.available(), 0);
  b.Give(6);
  EXPECT_EQ(b.used(), 4);
  EXPECT_EQ(b.available(), 6);
  EXPECT_EQ(b.high_water(), 10);
  EXPECT_EQ(b.gives(), 1);
}

TEST(MemoryBudgetTest, GiveWakesTheWaiterOnlyAfterSomeoneFoundNoRoom) {
  MemoryBudget budget(100);
  int wakes = 0;
  budget.SetOnGive([&wakes] { ++wakes; });
  ASSERT_TRUE(budget.TryTake(60));
  budget.Give(10);
  EXPECT_EQ(wakes, 0);  // nobody waits
  EXPECT_TRUE(budget.HasRoom(50));
  EXPECT_FALSE(budget.TryTake(51));
  EXPECT_EQ(budget.used(), 50);  // a refused TryTake takes nothing
  budget.Give(10);
  EXPECT_EQ(wakes, 1);
  budget.Give(10);
  EXPECT_EQ(wakes, 1);  // woken once per wait
  EXPECT_FALSE(budget.HasRoom(71));
  budget.Give(30);
  EXPECT_EQ(wakes, 2);
  EXPECT_EQ(budget.used(), 0);
  budget.SetOnGive(nullptr);
}

// A hostile feed: page 2 never ends, page 3 announces 50 GB; the rest are
// ordinary pages.
TEST(MultiFetcherTest, AnEndlessBodyAndAHugeOneFailAtOnceNotRetried) {
  auto feed = HostileFeed::Start(/*endless=*/{2}, /*huge=*/{3});
  ASSERT_THAT(feed, IsOk());
  MultiFetcherOptions o = Options(4);
  o.download.max_page_size = 1 << 20;
  MemoryBudget budget(4 << 20);
  o.download.budget = &budget;
  std::vector<std::string> urls;
  for (int page = 1; page <= 4; ++page) {
    urls.push_back(absl::StrReplaceAll((*feed)->url_template(),
                                       {{"{page}", absl::StrCat(page)}}));
  }
  MultiFetcher fetcher(o);
  std::map<size_t, absl::StatusOr<std::string>> results;
  ASSERT_THAT(fetcher.Run(urls,
                          [&](size_t i, absl::StatusOr<std::string> body) {
                            results.emplace(i, std::move(body));
                          }),
              IsOk());
  ASSERT_EQ(results.size(), 4u);
  EXPECT_THAT(results.at(0), IsOk());
  EXPECT_THAT(results.at(3), IsOk());
  EXPECT_THAT(results.at(1),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("body over the page size limit of 1048576 "
                                 "bytes (not retried)")));
  EXPECT_THAT(results.at(2),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("a Content-Length over the page size limit of "
                                 "1048576 bytes (not retried)")));
  EXPECT_EQ((*feed)->requests(2), 1);
  EXPECT_EQ((*feed)->requests(3), 1);
  EXPECT_LE(budget.high_water(), budget.limit());
  EXPECT_EQ(budget.used(), 0);  // every byte given back
}

TEST(MultiFetcherTest, BodiesStayWithinTheBudgetAndAllArrive) {
  // 24 bodies of ~100 KB through a budget of 350 KB, 8 in flight, while the
  // receiver holds the last two bodies' memory: transfers pause (and, when
  // their partial bodies fill what is left, stop and start again; whether
  // they do depends on how curl interleaves the reads), and still all arrive
  // whole, within the budget.
  auto server = http::MisbehavingServer::Start([](const http::HttpRequest& r) {
    http::ScriptedResponse s;
    s.response = http::TextResponse(
        200, std::string(100000 + static_cast<size_t>(IndexOf(r)), 'a'));
    return s;
  });
  ASSERT_THAT(server, IsOk());
  MultiFetcherOptions o = Options(8);
  MemoryBudget budget(350000);
  o.download.budget = &budget;
  MultiFetcher fetcher(o);
  std::deque<MemoryBudget::Grant> held;
  std::map<size_t, size_t> sizes;
  ASSERT_THAT(fetcher.Run(Urls((*server)->base_url(), 24),
                          [&](size_t i, absl::StatusOr<std::string> body,
                              MemoryBudget::Grant grant) {
                            ASSERT_THAT(body, IsOk());
                            EXPECT_EQ(grant.bytes(),
                                      static_cast<int64_t>(body->size()));
                            sizes[i] = body->size();
                            held.push_back(std::move(grant));
                            if (held.size() > 2) held.pop_front();
                          }),
              IsOk());
  ASSERT_EQ(sizes.size(), 24u);
  for (const auto& [i, size] : sizes) EXPECT_EQ(size, 100001 + i) << i;
  EXPECT_GT(budget.high_water(), 200000);  // the receiver's two, at least
  EXPECT_LE(budget.high_water(), budget.limit());
  held.clear();
  EXPECT_EQ(budget.used(), 0);
  EXPECT_LE(fetcher.handles(), 8);  // a stopped transfer's handle is reused
}

// An error page's body is no page: its memory is given back at once, before
// the error is handed on.
TEST(MultiFetcherTest, AnErrorPagesBodyIsNotKept) {
  auto server = http::MisbehavingServer::Start([](const http::HttpRequest&) {
    http::ScriptedResponse s;
    s.response = http::TextResponse(404, std::string(200000, 'e'));
    return s;
  });
  ASSERT_THAT(server, IsOk());
  MultiFetcherOptions o = Options(1);
  MemoryBudget budget(1 << 20);
  o.download.budget = &budget;
  MultiFetcher fetcher(o);
  int errors = 0;
  ASSERT_THAT(fetcher.Run(Urls((*server)->base_url(), 2),
                          [&](size_t, absl::StatusOr<std::string> body,
                              MemoryBudget::Grant grant) {
                            EXPECT_THAT(body,
                                        StatusIs(absl::StatusCode::kNotFound));
                            EXPECT_EQ(grant.bytes(), 0);
                            EXPECT_EQ(budget.used(), 0);
                            ++errors;
                          }),
              IsOk());
  EXPECT_EQ(errors, 2);
  EXPECT_GT(budget.high_water(), 100000);  // the body did arrive
}

TEST(MultiFetcherTest, RedirectsAreFollowedAndCredentialsStayBehind) {
  absl::Mutex mu;
  std::vector<std::string> auth_at_target;
  auto target = http::MisbehavingServer::Start([&](const http::HttpRequest& r) {
    absl::MutexLock l(&mu);
    auth_at_target.emplace_back(r.Header("authorization"));
    http::ScriptedResponse s;
    s.response = http::TextResponse(200, absl::StrCat("moved ", r.path));
    return s;
  });
  ASSERT_THAT(target, IsOk());
  std::string auth_at_origin;
  auto origin = http::MisbehavingServer::Start([&](const http::HttpRequest& r) {
    {
      absl::MutexLock l(&mu);
      auth_at_origin = std::string(r.Header("authorization"));
    }
    http::ScriptedResponse s;
    s.response = http::TextResponse(302, "see there");
    s.response.headers.emplace_back(
        "Location", absl::StrCat((*target)->base_url(), r.path));
    return s;
  });
  ASSERT_THAT(origin, IsOk());
  MultiFetcherOptions o = Options(2);
  o.download.credentials = {"me", "s3cret"};
  MultiFetcher fetcher(o);
  absl::StatusOr<std::string> got;
  ASSERT_THAT(fetcher.Run({absl::StrCat((*origin)->base_url(), "/prices.csv")},
                          [&](size_t, absl::StatusOr<std::string> body) {
                            got = std::move(body);
                          }),
              IsOk());
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(*got, "moved /prices.csv\n");
  absl::MutexLock l(&mu);
  EXPECT_EQ(auth_at_origin, "Basic bWU6czNjcmV0");  // me:s3cret
  ASSERT_EQ(auth_at_target.size(), 1u);
  EXPECT_EQ(auth_at_target[0], "");  // another port: no credentials
}

TEST(MultiFetcherTest, ARedirectLoopFailsSayingSo) {
  std::string self;
  auto loop = http::MisbehavingServer::Start([&](const http::HttpRequest& r) {
    http::ScriptedResponse s;
    s.response = http::TextResponse(302, "again");
    s.response.headers.emplace_back("Location", r.path == "/a" ? "/b" : "/a");
    return s;
  });
  ASSERT_THAT(loop, IsOk());
  MultiFetcher fetcher(Options(1));
  absl::StatusOr<std::string> got;
  ASSERT_THAT(fetcher.Run({absl::StrCat((*loop)->base_url(), "/a")},
                          [&](size_t, absl::StatusOr<std::string> body) {
                            got = std::move(body);
                          }),
              IsOk());
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kFailedPrecondition,
                            HasSubstr("a redirect loop: more than 5 redirects "
                                      "(not retried)")));
  EXPECT_EQ(fetcher.attempts(), 1);
  EXPECT_EQ((*loop)->requests(), 6);  // the first and 5 redirects
}

TEST(MultiFetcherOptionsTest, DefaultsAreThePipelines) {
  const MultiFetcherOptions m;
  EXPECT_EQ(m.max_in_flight, 64);
  EXPECT_EQ(m.max_per_host, 64);
}

}  // namespace
}  // namespace concurrency::pipeline
