#include "concurrency/pipeline/pipeline.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "concurrency/http/misbehaving_server.h"
#include "concurrency/io/atomic_file.h"
#include "concurrency/io/file_util.h"
#include "concurrency/pipeline/csv_to_xml.h"
#include "concurrency/pipeline/prices.h"
#include "concurrency/pipeline/tar_gz.h"
#include "concurrency/process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/refusing_port.h"
#include "tools/testing/status_matchers.h"
#include "tools/testing/temp_dir.h"

namespace concurrency::pipeline {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing_util::IsOk;
using ::testing_util::ListDir;
using ::testing_util::NewTempDir;
using ::testing_util::StatusIs;

constexpr int kPageSize = 20;

std::string ExpectedXml(int page) {
  return *CsvToXml(PricePageCsv(page, kPageSize), "expected");
}

// Pages found in out_dir, each checked against its expected XML: loose
// data<p>.xml files and members of data<k>.tgz archives (read back with our
// reader). Returns page -> where it was found.
std::map<int, std::vector<std::string>> PagesOnDisk(const std::string& dir) {
  std::map<int, std::vector<std::string>> found;
  auto page_of = [](absl::string_view name) {
    int p = 0;
    EXPECT_TRUE(absl::ConsumePrefix(&name, "data") &&
                absl::ConsumeSuffix(&name, ".xml") &&
                absl::SimpleAtoi(name, &p))
        << name;
    return p;
  };
  for (const std::string& name : ListDir(dir)) {
    if (absl::EndsWith(name, ".xml")) {
      int p = page_of(name);
      EXPECT_EQ(*io::ReadFileToString(dir + "/" + name), ExpectedXml(p))
          << name;
      found[p].push_back(name);
    } else if (absl::EndsWith(name, ".tgz")) {
      absl::StatusOr<std::vector<TarMember>> members =
          ReadTarGz(dir + "/" + name);
      EXPECT_THAT(members.status(), IsOk());
      if (!members.ok()) continue;
      for (const TarMember& m : *members) {
        int p = page_of(m.name);
        EXPECT_EQ(m.data, ExpectedXml(p)) << name << ":" << m.name;
        found[p].push_back(name);
      }
    } else {
      ADD_FAILURE() << "unexpected file " << name;  // e.g. a leftover temp
    }
  }
  return found;
}

struct Recorded {
  absl::Mutex mu;
  std::vector<absl::Duration> waits;
};

DownloaderOptions Options(Recorded* rec) {
  DownloaderOptions o;
  o.credentials = {"user", "pw"};
  o.retry.max_attempts = 3;
  o.retry.jitter = 0;
  o.timeout = absl::Milliseconds(300);
  o.sleep = [rec](absl::Duration d) {
    absl::MutexLock l(&rec->mu);
    rec->waits.push_back(d);
  };
  return o;
}

PipelineOptions Pipe(const std::string& base_url, const std::string& dir,
                     int pages) {
  PipelineOptions p;
  p.url_template =
      base_url + "/prices.csv?page_size={page_size}&page_number={page}";
  p.pages = pages;
  p.page_size = kPageSize;
  p.out_dir = dir;
  p.download_threads = 4;
  return p;
}

TEST(Pipeline, ArchivesEveryPageInPageOrderBatches) {
  auto server = StartPriceFeed(
      {.user = "user", .password = "pw", .pages = 15, .default_page_size = 1});
  ASSERT_THAT(server.status(), IsOk());
  std::string dir = NewTempDir("pipe");
  Recorded rec;
  Downloader d(Options(&rec));
  absl::StatusOr<PipelineReport> report =
      RunPipeline(d, Pipe((*server)->base_url(), dir, 15));
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->pages_archived, 15);
  EXPECT_EQ(report->archives.size(), 8u);  // 7 pairs and the last page alone
  EXPECT_EQ(ListDir(dir).size(), 8u);      // archives only: no XML left
  std::map<int, std::vector<std::string>> pages = PagesOnDisk(dir);
  ASSERT_EQ(pages.size(), 15u);
  for (int p = 1; p <= 15; ++p) {
    EXPECT_THAT(pages[p], ElementsAre(ArchiveFileName((p + 1) / 2))) << p;
  }
  // GNU tar agrees on what is in the first archive.
  std::string cmd =
      absl::StrCat("tar -tzf ", dir, "/data1.tgz > ", dir, ".list");
  ASSERT_EQ(system(cmd.c_str()), 0);
  EXPECT_EQ(*io::ReadFileToString(dir + ".list"), "data1.xml\ndata2.xml\n");
}

http::ScriptedResponse Scripted(http::HttpResponse response) {
  http::ScriptedResponse s;
  s.response = std::move(response);
  return s;
}

// A server misbehaving differently on each page.
http::MisbehavingServer::Script Misbehaving(std::atomic<int>* calls) {
  auto feed = PriceFeedHandler({.user = "user", .password = "pw", .pages = 9});
  auto seen = std::make_shared<absl::Mutex>();
  auto count = std::make_shared<std::map<int, int>>();
  return [=](const http::HttpRequest& r) {
    calls->fetch_add(1);
    int page = 0;
    absl::string_view q = r.query;
    size_t at = q.find("page_number=");
    (void)absl::SimpleAtoi(q.substr(at + 12), &page);
    int n;
    {
      absl::MutexLock l(seen.get());
      n = ++(*count)[page];
    }
    http::ScriptedResponse bad;
    switch (page) {
      case 1:  // 500 twice, then fine
        if (n <= 2) bad.response.status = 500;
        break;
      case 2:  // 429 with Retry-After, then fine
        if (n == 1) {
          bad.response.status = 429;
          bad.response.headers.emplace_back("Retry-After", "2");
        }
        break;
      case 3:  // slower than the timeout once
        if (n == 1) {
          http::ScriptedResponse slow = Scripted(feed(r));
          slow.delay = absl::Seconds(20);
          return slow;
        }
        break;
      case 4:  // a truncated body once
        if (n == 1) {
          http::ScriptedResponse cut = Scripted(feed(r));
          cut.truncate_body_at = cut.response.body.size() / 2;
          return cut;
        }
        break;
      case 5:  // never authorized
        bad.response.status = 401;
        break;
      case 6:  // never succeeds
        bad.response.status = 503;
        break;
      case 7: {  // malformed CSV
        http::ScriptedResponse r7;
        r7.response.body = "a,b\n1,2\n3\n";
        return r7;
      }
    }
    if (bad.response.status != 200) return bad;
    return Scripted(feed(r));
  };
}

TEST(Pipeline, MisbehavingServerFailsOnlyTheBrokenPages) {
  std::atomic<int> calls{0};
  auto server = http::MisbehavingServer::Start(Misbehaving(&calls));
  ASSERT_THAT(server.status(), IsOk());
  std::string dir = NewTempDir("pipe");
  Recorded rec;
  Downloader d(Options(&rec));
  absl::StatusOr<PipelineReport> report =
      RunPipeline(d, Pipe((*server)->base_url(), dir, 9));
  ASSERT_THAT(report.status(), IsOk());
  ASSERT_EQ(report->failures.size(), 3u);
  EXPECT_EQ(report->failures[0].page, 5);
  EXPECT_THAT(report->failures[0].status,
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("page_number=5: HTTP 401 (not retried)")));
  EXPECT_EQ(report->failures[1].page, 6);
  EXPECT_THAT(report->failures[1].status,
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("gave up after 3 attempts; the last got "
                                 "HTTP 503")));
  EXPECT_EQ(report->failures[2].page, 7);
  EXPECT_THAT(report->failures[2].status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("page 7: line 3: the record has 1 fields")));
  {
    absl::MutexLock l(&rec.mu);
    EXPECT_THAT(rec.waits,
                ::testing::Contains(absl::Seconds(2)));  // Retry-After
  }
  // The good pages are archived in page order, skipping the failed ones:
  // 1-2, 3-4, then 8-9.
  std::map<int, std::vector<std::string>> pages = PagesOnDisk(dir);
  EXPECT_THAT(pages[1], ElementsAre("data1.tgz"));
  EXPECT_THAT(pages[2], ElementsAre("data1.tgz"));
  EXPECT_THAT(pages[3], ElementsAre("data2.tgz"));
  EXPECT_THAT(pages[4], ElementsAre("data2.tgz"));
  EXPECT_THAT(pages[8], ElementsAre("data3.tgz"));
  EXPECT_THAT(pages[9], ElementsAre("data3.tgz"));
  EXPECT_EQ(pages.size(), 6u);
  EXPECT_EQ(report->pages_archived, 6);
  // Bounded: 1 (401) + 3 (503) attempts for the broken pages, no storm.
  EXPECT_LE(calls.load(), 9 + 2 + 1 + 1 + 1 + 2);
}

TEST(Pipeline, ServerDownFailsEveryPageAndSaysSo) {
  testing_util::RefusingPort down;
  const int port = down.port();
  ASSERT_NE(port, 0);
  std::string dir = NewTempDir("pipe");
  Recorded rec;
  Downloader d(Options(&rec));
  PipelineOptions p;
  p.url_template = absl::StrCat("http://127.0.0.1:", port, "/p?n={page}");
  p.pages = 3;
  p.out_dir = dir;
  absl::StatusOr<PipelineReport> report = RunPipeline(d, p);
  ASSERT_THAT(report.status(), IsOk());
  EXPECT_FALSE(report->ok());
  EXPECT_EQ(report->failures.size(), 3u);
  EXPECT_EQ(report->pages_archived, 0);
  EXPECT_THAT(ListDir(dir), IsEmpty());
}

TEST(Pipeline, RefusesToRunOverEarlierOutput) {
  std::string dir = NewTempDir("pipe");
  ASSERT_THAT(io::WriteFileAtomically(dir + "/data1.tgz", "old"), IsOk());
  PipelineOptions p;
  p.url_template = "http://127.0.0.1:1/{page}";
  p.out_dir = dir;
  EXPECT_THAT(ValidatePipelineOptions(p),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("already holds data1.tgz")));
  p.out_dir = dir + "/missing";
  EXPECT_THAT(ValidatePipelineOptions(p),
              StatusIs(absl::StatusCode::kNotFound));
  p.url_template = "http://127.0.0.1:1/no-placeholder";
  EXPECT_THAT(ValidatePipelineOptions(p),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("no page placeholder")));
  EXPECT_EQ(*io::ReadFileToString(dir + "/data1.tgz"), "old");
}

TEST(Pipeline, PageUrlFillsThePlaceholders) {
  EXPECT_EQ(PageUrl("http://h/p?page_size={page_size}&page_number=%s", 3, 200),
            "http://h/p?page_size=200&page_number=3");
  EXPECT_EQ(PageUrl("http://h/{page}/{page}", 12, 1), "http://h/12/12");
}

// Runs a whole pipeline (server included) in a child process that kills
// itself with SIGKILL at the `nth` time it reaches `step`; returns the
// output directory. The parent has no threads when it forks.
std::string RunAndKill(absl::string_view step, int nth) {
  std::string dir = NewTempDir("pipe");
  auto child = RunInProcess([&]() -> int {
    auto server =
        StartPriceFeed({.user = "user", .password = "pw", .pages = 9});
    if (!server.ok()) return 1;
    Recorded rec;
    Downloader d(Options(&rec));
    PipelineOptions p = Pipe((*server)->base_url(), dir, 9);
    std::atomic<int> seen{0};
    p.on_step = [&](absl::string_view s) {
      if (s == step && ++seen == nth) raise(SIGKILL);
    };
    absl::StatusOr<PipelineReport> r = RunPipeline(d, p);
    return r.ok() && r->ok() ? 0 : 1;
  });
  EXPECT_THAT(child.status(), IsOk());
  absl::StatusOr<int> rc = child->Get();
  EXPECT_THAT(rc.status(),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("signal 9")))
      << step << " " << nth;
  return dir;
}

TEST(Pipeline, KilledAtAnyStepEveryConvertedPageSurvives) {
  struct Case {
    const char* step;
    int nth;
    size_t min_pages;  // pages certainly converted before the kill
  };
  for (const Case& c :
       {Case{"xml_written", 1, 1}, Case{"xml_written", 4, 4},
        Case{"archive_written", 1, 2}, Case{"archive_written", 3, 6},
        Case{"xml_removed", 1, 2}, Case{"xml_removed", 4, 4},
        Case{"xml_removed", 7, 8}}) {
    SCOPED_TRACE(absl::StrCat(c.step, " #", c.nth));
    std::string dir = RunAndKill(c.step, c.nth);
    // Temporary files of an interrupted write may remain; final names are
    // always complete. Drop temporaries, then check every page found.
    for (const std::string& name : ListDir(dir)) {
      if (name[0] == '.') unlink((dir + "/" + name).c_str());
    }
    std::map<int, std::vector<std::string>> pages = PagesOnDisk(dir);
    EXPECT_GE(pages.size(), c.min_pages);
  }
}

TEST(Pipeline, FullDiskLosesNothingAndLeavesNoPartialFiles) {
  std::string dir = NewTempDir("pipe");
  auto child = RunInProcess([&]() -> int {
    signal(SIGXFSZ, SIG_IGN);
    auto server =
        StartPriceFeed({.user = "user", .password = "pw", .pages = 3});
    if (!server.ok()) return 100;
    rlimit rl{2000, 2000};  // every XML page is larger than this
    setrlimit(RLIMIT_FSIZE, &rl);
    Recorded rec;
    Downloader d(Options(&rec));
    absl::StatusOr<PipelineReport> r =
        RunPipeline(d, Pipe((*server)->base_url(), dir, 3));
    if (!r.ok()) return 101;
    int too_large = 0;
    for (const PageFailure& f : r->failures) {
      too_large += absl::StrContains(f.status.message(), "File too large");
    }
    return too_large;
  });
  ASSERT_THAT(child.status(), IsOk());
  absl::StatusOr<int> failed = child->Get();
  ASSERT_THAT(failed.status(), IsOk());
  EXPECT_EQ(*failed, 3);  // each page reported, naming the error
  EXPECT_THAT(ListDir(dir), IsEmpty());
}

}  // namespace
}  // namespace concurrency::pipeline
