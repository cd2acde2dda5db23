#include "concurrency/pipeline/pipeline.h"

#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "concurrency/http/misbehaving_server.h"
#include "concurrency/io/atomic_file.h"
#include "concurrency/io/file_util.h"
#include "concurrency/pipeline/check.h"
#include "concurrency/pipeline/hostile_feed.h"
#include "concurrency/pipeline/layout.h"
#include "concurrency/pipeline/manifest.h"
#include "concurrency/pipeline/prices.h"
#include "concurrency/pipeline/resume.h"
#include "concurrency/pipeline/targz/tar_gz.h"
#include "concurrency/process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pugixml.hpp"
#include "tools/testing/proc_status.h"
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

// The XML a page must become, built with pugixml's DOM from the feed's CSV
// rows (price rows hold no quotes or commas in fields), independently of the
// converter under test.
std::string ExpectedXml(int page) {
  std::vector<std::string> lines =
      absl::StrSplit(PricePageCsv(page, kPageSize), '\n', absl::SkipEmpty());
  std::vector<std::string> names = absl::StrSplit(lines[0], ',');
  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node data = doc.append_child("Data");
  for (size_t i = 1; i < lines.size(); ++i) {
    pugi::xml_node row = data.append_child("Row");
    std::vector<std::string> values = absl::StrSplit(lines[i], ',');
    for (size_t c = 0; c < names.size(); ++c) {
      row.append_child(names[c].c_str()).text().set(values[c].c_str());
    }
  }
  std::ostringstream out;
  doc.save(out, "\t", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

// Every page found in `dir`, checked against its expected XML: page ->
// where it was found (an archive, or its own XML file). Fails on any file
// that is not ours or not complete.
std::map<int, std::vector<std::string>> PagesOnDisk(const std::string& dir) {
  std::map<int, std::vector<std::string>> found;
  for (const std::string& name : ListDir(dir)) {
    if (std::optional<int> p = XmlPageOf(name)) {
      EXPECT_EQ(*io::ReadFileToString(dir + "/" + name), ExpectedXml(*p))
          << name;
      found[*p].push_back(name);
    } else if (ArchiveSlotOf(name)) {
      absl::StatusOr<std::vector<TarMember>> members =
          ReadTarGz(dir + "/" + name);
      EXPECT_THAT(members, IsOk()) << name;
      if (!members.ok()) continue;
      for (const TarMember& m : *members) {
        std::optional<int> p = XmlPageOf(m.name);
        if (!p.has_value()) {
          ADD_FAILURE() << name << " holds " << m.name;
          continue;
        }
        EXPECT_EQ(m.data, ExpectedXml(*p)) << name << ":" << m.name;
        found[*p].push_back(name);
      }
    } else if (name != "manifest.txt" && name != ".manifest.lock" &&
               !TempFileTarget(name)) {
      ADD_FAILURE() << "unexpected file " << name;
    }
  }
  return found;
}

// Every page 1..pages in exactly its slot's archive, nothing else left.
void ExpectFinished(const std::string& dir, int pages, int batch) {
  std::map<int, std::vector<std::string>> found = PagesOnDisk(dir);
  Layout layout(pages, batch);
  for (int p = 1; p <= pages; ++p) {
    EXPECT_THAT(found[p], ElementsAre(ArchiveFileName(layout.SlotOf(p))))
        << "page " << p;
  }
  EXPECT_EQ(found.size(), static_cast<size_t>(pages));
  for (const std::string& name : ListDir(dir)) {
    EXPECT_FALSE(TempFileTarget(name).has_value()) << name;
  }
  absl::StatusOr<std::string> text =
      io::ReadFileToString(dir + "/manifest.txt");
  ASSERT_THAT(text, IsOk());
  absl::StatusOr<Manifest> m = ParseManifest(*text, "manifest");
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->archives.size(), static_cast<size_t>(layout.slot_count()));
}

DownloaderOptions Fast() {
  DownloaderOptions o;
  o.credentials = {"user", "pw"};
  o.retry.max_attempts = 3;
  o.retry.initial_backoff = absl::Milliseconds(1);
  o.retry.jitter = 0;
  // No test here waits for a timeout (a held page is stopped, not timed
  // out): a generous one keeps a loaded machine under TSan from failing
  // pages that are merely slow.
  o.timeout = absl::Seconds(30);
  return o;
}

PipelineOptions Pipe(const std::string& base_url, const std::string& dir,
                     int pages) {
  PipelineOptions p;
  p.url_template =
      base_url + "/prices.csv?page_size={page_size}&page_number={page}";
  p.source = "the test feed";  // the same for every server of a test
  p.pages = pages;
  p.page_size = kPageSize;
  p.out_dir = dir;
  p.max_in_flight = 4;
  return p;
}

absl::StatusOr<std::unique_ptr<http::HttpServer>> Feed(int pages) {
  return StartPriceFeed(
      {.credentials = {.user = "user", .password = "pw"}, .pages = pages});
}

TEST(PipelineTest, ArchivesEverySlotAndRecordsIt) {
  auto server = Feed(15);
  ASSERT_THAT(server, IsOk());
  std::string dir = NewTempDir("pipe");
  PipelineCounters counters;
  PipelineOptions p = Pipe((*server)->base_url(), dir, 15);
  p.counters = &counters;
  absl::StatusOr<PipelineReport> report = RunPipeline(p, Fast());
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->pages_archived, 15);
  EXPECT_EQ(report->pages_fetched, 15);
  EXPECT_EQ(report->archives.size(), 8u);  // 7 pairs and the last page alone
  ExpectFinished(dir, 15, 2);
  EXPECT_EQ(counters.total, 15);
  EXPECT_EQ(counters.downloaded, 15);
  EXPECT_EQ(counters.converted, 15);
  EXPECT_EQ(counters.archived, 15);
  EXPECT_EQ(counters.failed, 0);
  // GNU tar agrees on what is in the first archive.
  std::string cmd =
      absl::StrCat("tar -tzf ", dir, "/data1.tgz > ", dir, ".list");
  ASSERT_EQ(system(cmd.c_str()), 0);
  EXPECT_EQ(*io::ReadFileToString(dir + ".list"), "data1.xml\ndata2.xml\n");
}

TEST(PipelineTest, OneTarThreadOrThreeArchiveEverySlot) {
  auto server = Feed(7);
  ASSERT_THAT(server, IsOk());
  for (int tar_threads : {1, 3}) {
    std::string dir = NewTempDir("pipe");
    PipelineOptions p = Pipe((*server)->base_url(), dir, 7);
    p.tar_threads = tar_threads;
    absl::StatusOr<PipelineReport> report = RunPipeline(p, Fast());
    ASSERT_THAT(report, IsOk()) << tar_threads;
    EXPECT_TRUE(report->ok()) << tar_threads;
    EXPECT_EQ(report->pages_archived, 7) << tar_threads;
    ExpectFinished(dir, 7, 2);
    absl::StatusOr<CheckReport> check = CheckOutDir(dir);
    ASSERT_THAT(check, IsOk());
    EXPECT_THAT(DescribeCheck(*check),
                HasSubstr("every page of 1-7 is in exactly one archive "
                          "(4 archives, 1 shard)"));
  }
}

TEST(PipelineTest, ASecondRunOfTheSameSettingsFetchesNothing) {
  auto server = Feed(9);
  ASSERT_THAT(server, IsOk());
  std::string dir = NewTempDir("pipe");
  PipelineOptions p = Pipe((*server)->base_url(), dir, 9);
  ASSERT_THAT(RunPipeline(p, Fast()), IsOk());
  const int64_t requests = (*server)->requests();
  EXPECT_EQ(requests, 9);
  std::string manifest = *io::ReadFileToString(dir + "/manifest.txt");
  absl::StatusOr<PipelineReport> again = RunPipeline(p, Fast());
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->ok());
  EXPECT_EQ(again->pages_fetched, 0);
  EXPECT_TRUE(again->archives.empty());
  EXPECT_EQ((*server)->requests(), requests);
  EXPECT_EQ(*io::ReadFileToString(dir + "/manifest.txt"), manifest);
  ExpectFinished(dir, 9, 2);
}

// A server misbehaving differently on some pages while `broken` is set.
http::MisbehavingServer::Script Misbehaving(std::atomic<bool>* broken,
                                            std::atomic<int>* calls) {
  auto feed = PriceFeedHandler(
      {.credentials = {.user = "user", .password = "pw"}, .pages = 9});
  return [=](const http::HttpRequest& r) {
    calls->fetch_add(1);
    int page = 0;
    (void)absl::SimpleAtoi(r.query.substr(r.query.find("page_number=") + 12),
                           &page);
    http::ScriptedResponse s;
    s.response = feed(r);
    if (!broken->load()) return s;
    switch (page) {
      case 3:  // never authorized
        s.response = http::TextResponse(401, "no");
        break;
      case 6:  // never succeeds
        s.response = http::TextResponse(503, "busy");
        break;
      case 7:  // malformed CSV
        s.response.body = "a,b\n1,2\n3\n";
        break;
      case 8:  // always cut short
        s.truncate_body_at = s.response.body.size() / 2;
        break;
    }
    return s;
  };
}

TEST(PipelineTest, FailedPagesWaitInTheirSlotAndARerunFinishes) {
  std::atomic<bool> broken{true};
  std::atomic<int> calls{0};
  auto server = http::MisbehavingServer::Start(Misbehaving(&broken, &calls));
  ASSERT_THAT(server, IsOk());
  std::string dir = NewTempDir("pipe");
  PipelineOptions p = Pipe((*server)->base_url(), dir, 9);
  absl::StatusOr<PipelineReport> first = RunPipeline(p, Fast());
  ASSERT_THAT(first, IsOk());
  EXPECT_FALSE(first->ok());
  ASSERT_EQ(first->failures.size(), 4u);
  EXPECT_THAT(first->failures[0].status,
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("page_number=3: HTTP 401 (not retried)")));
  EXPECT_THAT(first->failures[1].status,
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("gave up after 3 attempts; the last got "
                                 "HTTP 503")));
  EXPECT_THAT(first->failures[2].status,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("page 7: line 3: the record has 1 fields")));
  EXPECT_THAT(first->failures[3].status,
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("partial file")));
  // Slots 1 (pages 1-2) and 5 (page 9) are whole; slots 2 and 3 wait for a
  // page each, their good pages (4, 5) kept as XML; slot 4 has no page yet.
  std::map<int, std::vector<std::string>> found = PagesOnDisk(dir);
  EXPECT_THAT(found[1], ElementsAre("data1.tgz"));
  EXPECT_THAT(found[2], ElementsAre("data1.tgz"));
  EXPECT_THAT(found[9], ElementsAre("data5.tgz"));
  EXPECT_THAT(found[4], ElementsAre("data4.xml"));
  EXPECT_THAT(found[5], ElementsAre("data5.xml"));
  EXPECT_EQ(found.size(), 5u);
  EXPECT_EQ(first->pages_archived, 3);

  broken = false;
  calls = 0;
  absl::StatusOr<PipelineReport> second = RunPipeline(p, Fast());
  ASSERT_THAT(second, IsOk());
  EXPECT_TRUE(second->ok()) << second->failures.size();
  EXPECT_EQ(calls.load(), 4);  // only the failed pages: 3, 6, 7, 8
  EXPECT_EQ(second->pages_fetched, 4);
  EXPECT_EQ(second->pages_reused, 2);  // pages 4 and 5, converted before
  ExpectFinished(dir, 9, 2);
}

TEST(PipelineTest, AJournalLineCutByACrashIsDroppedAndCompactedAway) {
  auto server = Feed(5);
  ASSERT_THAT(server, IsOk());
  std::string dir = NewTempDir("journal");
  PipelineOptions p = Pipe((*server)->base_url(), dir, 5);
  ASSERT_THAT(RunPipeline(p, Fast()), IsOk());
  const std::string manifest = dir + "/manifest.txt";
  const std::string whole = *io::ReadFileToString(manifest);
  // A crash in the middle of an append: half a line, no line break.
  {
    std::ofstream out(manifest, std::ios::app);
    out << "archive data9.tgz pages=17-1";
  }
  absl::StatusOr<PipelineReport> r = RunPipeline(p, Fast());
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->ok());
  EXPECT_EQ((*server)->requests(), 5);                // nothing fetched again
  EXPECT_EQ(*io::ReadFileToString(manifest), whole);  // compacted
  ExpectFinished(dir, 5, 2);
}

TEST(PipelineTest, ServerDownFailsEveryPageAndSaysSo) {
  testing_util::RefusingPort down;
  ASSERT_NE(down.port(), 0);
  std::string dir = NewTempDir("pipe");
  PipelineOptions p =
      Pipe(absl::StrCat("http://127.0.0.1:", down.port()), dir, 3);
  absl::StatusOr<PipelineReport> report = RunPipeline(p, Fast());
  ASSERT_THAT(report, IsOk());
  EXPECT_FALSE(report->ok());
  EXPECT_EQ(report->failures.size(), 3u);
  EXPECT_EQ(report->pages_archived, 0);
  EXPECT_THAT(ListDir(dir), ElementsAre(".manifest.lock", "manifest.txt"));
}

// The names and contents of every file in `dir`.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const std::string& name : ListDir(dir)) {
    files[name] = *io::ReadFileToString(dir + "/" + name);
  }
  return files;
}

class RefusalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = *Feed(5);
    dir_ = NewTempDir("refuse");
    options_ = Pipe(server_->base_url(), dir_, 5);
    // A run cut short: two archives, a page waiting as XML, a temporary.
    std::atomic<int> archives{0};
    options_.on_step = [&](absl::string_view step) {
      if (step == "manifest_written") ++archives;
    };
    ASSERT_THAT(RunPipeline(options_, Fast()), IsOk());
    options_.on_step = nullptr;
    ASSERT_THAT(io::WriteFileAtomically(dir_ + "/.data9.xml.tmp.1.2", "x"),
                IsOk());
  }

  // Runs with `options` and expects a refusal saying `message`, every file
  // left as it was.
  void ExpectRefused(const PipelineOptions& options, absl::StatusCode code,
                     absl::string_view message) {
    std::map<std::string, std::string> before = Snapshot(dir_);
    EXPECT_THAT(RunPipeline(options, Fast()),
                StatusIs(code, HasSubstr(message)));
    EXPECT_EQ(Snapshot(dir_), before);
  }

  std::unique_ptr<http::HttpServer> server_;
  std::string dir_;
  PipelineOptions options_;
};

TEST_F(RefusalTest, OtherSettingsAreRefusedNamingTheSetting) {
  PipelineOptions o = options_;
  o.pages = 6;
  ExpectRefused(o, absl::StatusCode::kFailedPrecondition, "pages 5, not 6");
  o = options_;
  o.page_size = 21;
  ExpectRefused(o, absl::StatusCode::kFailedPrecondition,
                "page_size 20, not 21");
  o = options_;
  o.batch = 3;
  ExpectRefused(o, absl::StatusCode::kFailedPrecondition, "batch 2, not 3");
  o = options_;
  o.source = "";  // the URL itself, which differs from "the test feed"
  ExpectRefused(o, absl::StatusCode::kFailedPrecondition,
                "with url the test feed, not http://127.0.0.1:");
}

TEST_F(RefusalTest, CorruptOrForeignManifestsAreRefused) {
  const std::string manifest = dir_ + "/manifest.txt";
  std::string text = *io::ReadFileToString(manifest);
  ASSERT_THAT(io::WriteFileAtomically(manifest, text.substr(0, 40),
                                      io::AtomicFile::Mode::kReplace),
              IsOk());
  ExpectRefused(options_, absl::StatusCode::kDataLoss,
                "does not end with a line break");
  ASSERT_THAT(io::WriteFileAtomically(manifest, "owner: someone else\n",
                                      io::AtomicFile::Mode::kReplace),
              IsOk());
  ExpectRefused(options_, absl::StatusCode::kInvalidArgument,
                "not a pipeline manifest");
  Manifest other = *ParseManifest(text, "m");
  other.settings.shard = {1, 2};
  ASSERT_THAT(io::WriteFileAtomically(manifest, SerializeManifest(other),
                                      io::AtomicFile::Mode::kReplace),
              IsOk());
  ExpectRefused(options_, absl::StatusCode::kFailedPrecondition,
                "shard 1/2, not 0/1");
}

TEST_F(RefusalTest, MissingOrChangedArchivesAreRefused) {
  const std::string archive = dir_ + "/data2.tgz";
  std::string bytes = *io::ReadFileToString(archive);
  ASSERT_EQ(unlink(archive.c_str()), 0);
  ExpectRefused(options_, absl::StatusCode::kNotFound,
                "names data2.tgz, which cannot be read");
  bytes[bytes.size() / 2] ^= 1;
  ASSERT_THAT(io::WriteFileAtomically(archive, bytes), IsOk());
  ExpectRefused(options_, absl::StatusCode::kDataLoss,
                "it was changed or damaged");
}

TEST_F(RefusalTest, OurFilesWithoutAManifestAreNotTouched) {
  ASSERT_EQ(unlink((dir_ + "/manifest.txt").c_str()), 0);
  ExpectRefused(options_, absl::StatusCode::kFailedPrecondition,
                "holds data1.tgz but no manifest.txt");
}

TEST_F(RefusalTest, ASecondRunAtOnceIsRefused) {
  Layout layout(5, 2);
  RunSettings settings{"the test feed", 5, kPageSize, 2, {}};
  absl::StatusOr<OutDirState> held = OpenOutDir(dir_, layout, settings);
  ASSERT_THAT(held, IsOk());
  ExpectRefused(options_, absl::StatusCode::kFailedPrecondition,
                "another pipeline run is using");
}

TEST(PipelineTest, PageUrlFillsThePlaceholders) {
  EXPECT_EQ(PageUrl("http://h/p?page_size={page_size}&page_number=%s", 3, 200),
            "http://h/p?page_size=200&page_number=3");
  EXPECT_EQ(PageUrl("http://h/{page}/{page}", 12, 1), "http://h/12/12");
  PipelineOptions p;
  p.url_template = "http://127.0.0.1:1/no-placeholder";
  EXPECT_THAT(ValidatePipelineOptions(p),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("no page placeholder")));
  p.url_template = "http://127.0.0.1:1/{page}";
  EXPECT_THAT(ValidatePipelineOptions(p), IsOk());
  p.tar_threads = 0;
  EXPECT_THAT(
      ValidatePipelineOptions(p),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tar_threads")));
}

// The lessons never overwrite output: a page or an archive of an earlier run
// in the directory refuses the run, naming the file; other files do not.
TEST(PipelineTest, EarlierOutputIsNamedAndOtherFilesAreNot) {
  const std::string dir = NewTempDir("earlier_output");
  ASSERT_THAT(io::WriteFileAtomically(dir + "/notes.txt", "mine"), IsOk());
  ASSERT_THAT(io::WriteFileAtomically(dir + "/data.xml", "no page number"),
              IsOk());
  EXPECT_THAT(CheckNoEarlierOutput(dir), IsOk());
  for (const char* name : {"data7.xml", "data3.tgz"}) {
    ASSERT_THAT(io::WriteFileAtomically(absl::StrCat(dir, "/", name), "old"),
                IsOk());
    EXPECT_THAT(CheckNoEarlierOutput(dir),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         HasSubstr(absl::StrCat("already holds ", name))));
    ASSERT_EQ(unlink(absl::StrCat(dir, "/", name).c_str()), 0);
  }
}

// A feed whose page 3 never ends and page 6 announces 50 GB: the run ends by
// itself, names those two pages, archives every slot without them, and
// holds no more page data than its budget at any time.
TEST(PipelineTest, AHostileFeedCannotTakeTheMemory) {
  auto feed = HostileFeed::Start(/*endless=*/{3}, /*huge=*/{6}, kPageSize);
  ASSERT_THAT(feed, IsOk());
  std::string dir = NewTempDir("hostile");
  PipelineOptions p = Pipe("", dir, 8);
  p.url_template = (*feed)->url_template();
  p.max_memory = 4 << 20;
  DownloaderOptions d = Fast();
  d.timeout = absl::Seconds(60);  // the limits end them, not a timeout
  d.max_page_size = 1 << 20;
  absl::StatusOr<PipelineReport> r = RunPipeline(p, d);
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->ok());
  ASSERT_EQ(r->failures.size(), 2u);
  EXPECT_EQ(r->failures[0].page, 3);
  EXPECT_THAT(r->failures[0].status,
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("body over the page size limit")));
  EXPECT_EQ(r->failures[1].page, 6);
  EXPECT_THAT(r->failures[1].status,
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("a Content-Length over the page size limit")));
  EXPECT_EQ((*feed)->requests(3), 1);  // not retried
  EXPECT_EQ((*feed)->requests(6), 1);
  EXPECT_EQ(r->pages_archived, 4);  // slots 1 and 4; 2 and 3 wait
  EXPECT_THAT(r->archives, ElementsAre(dir + "/data1.tgz", dir + "/data4.tgz"));
  EXPECT_GT(r->memory_high_water, 0);
  EXPECT_LE(r->memory_high_water, p.max_memory);
}

// The same feed at the default limits (512 MiB of memory, 256 MiB pages), in
// a child whose address space may grow by at most 2 GiB: it must finish, not
// die of a failed allocation. (Under ASan or TSan, whose shadow memory is
// reserved address space already, the limit is what the child has plus
// 2 GiB, as it is in a plain build.)
TEST(PipelineTest, AHostileFeedAtTheDefaultsFitsInTwoGiB) {
  std::string dir = NewTempDir("rlimit");
  auto child = RunInProcess([&]() -> int {
    mallopt(M_ARENA_MAX, 2);  // glibc reserves 64 MiB of address per arena
    auto feed = HostileFeed::Start(/*endless=*/{2}, /*huge=*/{3}, kPageSize);
    if (!feed.ok()) return 10;
    // What the child has now (its threads' stacks, the feed) plus 2 GiB.
    const int64_t vm_kib = testing_util::ProcStatusField("self", "VmSize:");
    if (vm_kib <= 0) return 11;
    const rlim_t limit = static_cast<rlim_t>(vm_kib) * 1024 + (rlim_t{2} << 30);
    rlimit as{limit, limit};
    if (setrlimit(RLIMIT_AS, &as) != 0) return 12;
    PipelineOptions p = Pipe("", dir, 6);
    p.url_template = (*feed)->url_template();
    DownloaderOptions d = Fast();
    d.timeout = absl::Seconds(120);
    absl::StatusOr<PipelineReport> r = RunPipeline(p, d);
    if (!r.ok() || r->failures.size() != 2 || r->pages_archived != 2) return 13;
    for (const PageFailure& f : r->failures) {
      if (!absl::IsResourceExhausted(f.status)) return 14;
    }
    return r->memory_high_water <= p.max_memory ? 0 : 15;
  });
  ASSERT_THAT(child, IsOk());
  absl::StatusOr<int> rc = child->Get();
  ASSERT_THAT(rc, IsOk());
  EXPECT_EQ(*rc, 0);
}

// Runs the whole pipeline (server included) in a child process that kills
// itself with SIGKILL the `nth` time it reaches a durable step (any step, if
// `step` is empty). Returns whether it was killed (false: it finished first).
// The parent has no threads when it forks.
bool RunAndKill(const std::string& dir, int pages, absl::string_view step,
                int nth) {
  auto child = RunInProcess([&]() -> int {
    auto server = Feed(pages);
    if (!server.ok()) return 1;
    PipelineOptions p = Pipe((*server)->base_url(), dir, pages);
    // Each archive recorded by a journal append of its own, so that a run
    // has one append per archive to be killed after: an archive goes to the
    // recorder only once every earlier one is recorded (however the threads
    // are scheduled, no two are ever grouped).
    p.group_commit_window = absl::ZeroDuration();
    absl::Mutex mu;
    int archived_recorded[2] = {0, 0};
    std::atomic<int> seen{0};
    p.on_step = [&](absl::string_view s) {
      if (s == "archive_written") {
        absl::MutexLock l(&mu);
        mu.Await(absl::Condition(
            +[](int* n) { return n[0] == n[1]; }, archived_recorded));
        ++archived_recorded[0];
      } else if (s == "manifest_written") {
        absl::MutexLock l(&mu);
        ++archived_recorded[1];
      }
      if ((step.empty() || s == step) && ++seen == nth) raise(SIGKILL);
    };
    absl::StatusOr<PipelineReport> r = RunPipeline(p, Fast());
    return r.ok() && r->ok() ? 0 : 1;
  });
  EXPECT_THAT(child, IsOk());
  absl::StatusOr<int> rc = child->Get();
  if (rc.ok()) {
    EXPECT_EQ(*rc, 0);
    return false;
  }
  EXPECT_THAT(rc, StatusIs(absl::StatusCode::kInternal, HasSubstr("signal 9")));
  return true;
}

// Reruns in a child (so the parent stays single-threaded); the run must end
// the job.
void Rerun(const std::string& dir, int pages) {
  EXPECT_FALSE(RunAndKill(dir, pages, "never", 1));
}

// Archives written within the group commit window share one journal
// append; the last group is recorded when the last archive is written, not
// when the window ends.
TEST(PipelineTest, ArchivesWrittenTogetherShareOneJournalAppend) {
  auto server = Feed(9);
  ASSERT_THAT(server, IsOk());
  std::string dir = NewTempDir("group");
  PipelineOptions p = Pipe((*server)->base_url(), dir, 9);
  p.group_commit_window = absl::Hours(1);
  std::atomic<int> appends{0};
  p.on_step = [&](absl::string_view s) {
    if (s == "manifest_written") ++appends;
  };
  absl::StatusOr<PipelineReport> r = RunPipeline(p, Fast());
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(appends.load(), 1);
  ExpectFinished(dir, 9, 2);
}

TEST(PipelineTest, KilledAtEachDurableStepThenRerunFinishes) {
  struct Case {
    const char* step;
    int nth;
  };
  for (const Case& c : {Case{"xml_converted", 1}, Case{"xml_converted", 4},
                        Case{"archive_written", 1}, Case{"archive_written", 3},
                        Case{"manifest_written", 1},
                        Case{"manifest_written", 2}, Case{"xml_converted", 7},
                        Case{"xml_converted", 9}, Case{"archive_written", 5}}) {
    SCOPED_TRACE(absl::StrCat(c.step, " #", c.nth));
    std::string dir = NewTempDir("kill");
    ASSERT_TRUE(RunAndKill(dir, 9, c.step, c.nth));
    // Whatever stands under a final name is whole (PagesOnDisk reads it all;
    // an archive not yet in the manifest may still hold pages that are also
    // XML files). Then a rerun ends the job, each page once.
    PagesOnDisk(dir);
    Rerun(dir, 9);
    ExpectFinished(dir, 9, 2);
  }
}

// The pages a run's manifest records in `dir`.
int RecordedPages(const std::string& dir) {
  absl::StatusOr<std::string> text =
      io::ReadFileToString(dir + "/manifest.txt");
  if (!text.ok()) return 0;
  absl::StatusOr<Manifest> m = ParseManifest(*text, "m");
  EXPECT_THAT(m, IsOk());
  int recorded = 0;
  for (const auto& [slot, a] : m->archives) recorded += a.pages.size();
  return recorded;
}

int XmlFiles(const std::string& dir) {
  int n = 0;
  for (const std::string& name : ListDir(dir)) n += XmlPageOf(name) ? 1 : 0;
  return n;
}

// A feed that answers every page but 4 at once; page 4 waits for `stop`
// and then never answers (its response is dropped with the server). So a
// run stopped after page 3 is converted always finds slot 2 (pages 3-4)
// incomplete, whatever the threads' timing.
absl::StatusOr<std::unique_ptr<http::MisbehavingServer>> HoldPageFour(
    absl::Notification* stop) {
  auto feed = PriceFeedHandler(
      {.credentials = {.user = "user", .password = "pw"}, .pages = 9});
  return http::MisbehavingServer::Start([=](const http::HttpRequest& r) {
    http::ScriptedResponse s;
    s.response = feed(r);
    if (r.QueryParam("page_number") == "4") {
      stop->WaitForNotification();
      s.delay = absl::Hours(1);
    }
    return s;
  });
}

TEST(PipelineTest,
     KilledWhileSlotsWaitInMemoryTheRerunFetchesOnlyUnarchivedPages) {
  std::string dir = NewTempDir("memory");
  // Killed at the third page converted: pages wait in memory for their
  // slots (some slots may be archived meanwhile). Nothing of them is on
  // disk: the main job writes no XML on its way.
  ASSERT_TRUE(RunAndKill(dir, 9, "xml_converted", 3));
  EXPECT_EQ(XmlFiles(dir), 0);
  const int recorded = RecordedPages(dir);
  auto server = Feed(9);
  ASSERT_THAT(server, IsOk());
  absl::StatusOr<PipelineReport> r =
      RunPipeline(Pipe((*server)->base_url(), dir, 9), Fast());
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->pages_reused, 0);
  // Counted at the server: every page not archived, and no other.
  EXPECT_EQ((*server)->requests(), 9 - recorded);
  ExpectFinished(dir, 9, 2);
}

TEST(PipelineTest, AStoppedRunParksItsPagesAndTheRerunReusesThem) {
  std::string dir = NewTempDir("stop");
  int parked = 0, recorded = 0;
  {
    absl::Notification stop;  // what SIGINT and SIGTERM set in main
    auto server = HoldPageFour(&stop);
    ASSERT_THAT(server, IsOk());
    PipelineOptions p = Pipe((*server)->base_url(), dir, 9);
    p.stop = &stop;
    p.log = [&](absl::string_view line) {  // page 3 converted: stop
      if (absl::StrContains(line, "data3.xml (in memory)")) stop.Notify();
    };
    absl::StatusOr<PipelineReport> r = RunPipeline(p, Fast());
    ASSERT_THAT(r, IsOk());
    EXPECT_FALSE(r->ok());
    ASSERT_FALSE(r->failures.empty());
    for (const PageFailure& f : r->failures) {
      EXPECT_THAT(f.status, StatusIs(absl::StatusCode::kCancelled,
                                     HasSubstr("stopped before it finished")));
    }
    parked = XmlFiles(dir);
    recorded = RecordedPages(dir);
    // Page 4 never came, so slot 2 could not complete: page 3 is parked
    // (and any other page whose partner was cancelled); every other
    // converted page is archived.
    EXPECT_GE(parked, 1);
    EXPECT_EQ(parked + recorded, r->pages_fetched);
  }
  auto server = Feed(9);
  ASSERT_THAT(server, IsOk());
  absl::StatusOr<PipelineReport> r =
      RunPipeline(Pipe((*server)->base_url(), dir, 9), Fast());
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->pages_reused, parked);
  EXPECT_EQ((*server)->requests(), 9 - recorded - parked);
  ExpectFinished(dir, 9, 2);
}

// Parks pages by stopping a run once page 3 is converted, while page 4 is
// held back: page 3 always waits for its slot, and is parked.
void StopAfterThreePages(const std::string& dir) {
  absl::Notification stop;
  auto server = HoldPageFour(&stop);
  ASSERT_THAT(server, IsOk());
  PipelineOptions p = Pipe((*server)->base_url(), dir, 9);
  p.stop = &stop;
  p.log = [&](absl::string_view line) {  // page 3 converted: stop
    if (absl::StrContains(line, "data3.xml (in memory)")) stop.Notify();
  };
  ASSERT_THAT(RunPipeline(p, Fast()), IsOk());
}

TEST(PipelineTest, KilledAtEachStepOfReusingParkedPagesThenRerunFinishes) {
  for (const char* step : {"xml_removed", "archive_written", "xml_parked"}) {
    SCOPED_TRACE(step);
    std::string dir = NewTempDir("parked");
    StopAfterThreePages(dir);  // its server is gone: no thread is left
    ASSERT_GE(XmlFiles(dir), 1);
    // A rerun killed while it archives and removes the parked files (or,
    // for xml_parked, never reaching one: it then finishes).
    const bool killed = RunAndKill(dir, 9, step, 1);
    EXPECT_EQ(killed, std::string(step) != "xml_parked");
    PagesOnDisk(dir);
    Rerun(dir, 9);
    ExpectFinished(dir, 9, 2);
  }
}

TEST(PipelineTest, ManyKillsAtRandomPointsThenEveryPageExactlyOnce) {
  // Each round kills the run at a random durable step (any kind), then the
  // next round reruns into the same directory. The seed is printed, so a
  // failure can be replayed.
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  std::mt19937 rng(seed);
  std::string dir = NewTempDir("storm");
  int kills = 0;
  for (int round = 0; round < 200 && kills < 30; ++round) {
    // 11 pages: at most 11 converted + 6 archive + 6 manifest steps (and
    // parked and removed XML files after an earlier kill).
    int nth = std::uniform_int_distribution<int>(1, 12)(rng);
    if (RunAndKill(dir, 11, "", nth)) {
      ++kills;
      PagesOnDisk(dir);  // every file under a final name is whole
    } else {
      // Finished before the kill point: start over in a fresh directory so
      // that every round has something to be killed in.
      ExpectFinished(dir, 11, 2);
      dir = NewTempDir("storm");
    }
  }
  EXPECT_EQ(kills, 30);
  Rerun(dir, 11);
  ExpectFinished(dir, 11, 2);
}

// A child process running shard `shard` of `pages` into `dir`; it kills
// itself at the `nth` archive if `nth` > 0.
absl::StatusOr<ProcessResult<int>> StartShard(const std::string& dir, int pages,
                                              Shard shard, int nth) {
  return RunInProcess([=]() -> int {
    auto server = Feed(pages);
    if (!server.ok()) return 1;
    PipelineOptions p = Pipe((*server)->base_url(), dir, pages);
    p.shard = shard;
    std::atomic<int> seen{0};
    p.on_step = [&](absl::string_view s) {
      if (nth > 0 && s == "archive_written" && ++seen == nth) raise(SIGKILL);
    };
    absl::StatusOr<PipelineReport> r = RunPipeline(p, Fast());
    return r.ok() && r->ok() ? 0 : 1;
  });
}

TEST(PipelineTest, FourShardsShareOneDirectoryAndTheCheckFindsEveryPage) {
  std::string dir = NewTempDir("shards");
  constexpr int kPages = 23;  // 12 slots of 2: shards of 3 slots each
  std::vector<absl::StatusOr<ProcessResult<int>>> shards;
  for (int i = 0; i < 4; ++i) {
    // All four run at once; shard 2 is killed at its second archive.
    shards.push_back(StartShard(dir, kPages, {i, 4}, i == 2 ? 2 : 0));
  }
  for (int i = 0; i < 4; ++i) {
    ASSERT_THAT(shards[i], IsOk());
    absl::StatusOr<int> rc = shards[i]->Get();
    if (i == 2) {
      EXPECT_THAT(rc,
                  StatusIs(absl::StatusCode::kInternal, HasSubstr("signal 9")));
    } else {
      ASSERT_THAT(rc, IsOk());
      EXPECT_EQ(*rc, 0) << "shard " << i;
    }
  }
  // Each shard wrote only its own names.
  for (int i : {0, 1, 3}) {
    EXPECT_TRUE(std::filesystem::exists(
        absl::StrCat(dir, "/manifest-", i, "-of-4.txt")));
  }
  absl::StatusOr<CheckReport> before = CheckOutDir(dir);
  ASSERT_THAT(before, IsOk());
  EXPECT_FALSE(before->ok());
  EXPECT_THAT(before->missing_shards, ElementsAre(2));
  EXPECT_THAT(DescribeCheck(*before), HasSubstr("unfinished shards (of 4): 2"));
  EXPECT_THAT(DescribeCheck(*before), HasSubstr("pages in no archive: "));
  // The killed shard is rerun alone; then everything is there, once.
  absl::StatusOr<ProcessResult<int>> rerun = StartShard(dir, kPages, {2, 4}, 0);
  ASSERT_THAT(rerun, IsOk());
  absl::StatusOr<int> rc = rerun->Get();
  ASSERT_THAT(rc, IsOk());
  EXPECT_EQ(*rc, 0);
  absl::StatusOr<CheckReport> after = CheckOutDir(dir);
  ASSERT_THAT(after, IsOk());
  EXPECT_TRUE(after->ok()) << DescribeCheck(*after);
  EXPECT_EQ(after->archives, 12);
  EXPECT_THAT(DescribeCheck(*after),
              HasSubstr("every page of 1-23 is in exactly one archive "
                        "(12 archives, 4 shards)"));
}

TEST(PipelineTest, TheCheckSeesADamagedArchive) {
  auto server = Feed(4);
  ASSERT_THAT(server, IsOk());
  std::string dir = NewTempDir("check");
  ASSERT_THAT(RunPipeline(Pipe((*server)->base_url(), dir, 4), Fast()), IsOk());
  ASSERT_TRUE(CheckOutDir(dir)->ok());
  ASSERT_EQ(unlink((dir + "/data2.tgz").c_str()), 0);
  absl::StatusOr<CheckReport> r = CheckOutDir(dir);
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->ok());
  EXPECT_THAT(r->missing_pages, ElementsAre(Range{3, 4}));
  EXPECT_THAT(DescribeCheck(*r), HasSubstr("data2.tgz: open"));
  EXPECT_THAT(CheckOutDir(dir + "/nowhere"),
              StatusIs(absl::StatusCode::kNotFound));
  // A directory with no manifest is not an output directory; one whose
  // manifest is damaged is, with that problem reported.
  std::string empty = NewTempDir("check");
  EXPECT_THAT(CheckOutDir(empty),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr(empty + " holds no manifest")));
  ASSERT_THAT(io::WriteFileAtomically(empty + "/manifest.txt", "not one\n"),
              IsOk());
  absl::StatusOr<CheckReport> damaged = CheckOutDir(empty);
  ASSERT_THAT(damaged, IsOk());
  EXPECT_FALSE(damaged->ok());
  EXPECT_THAT(damaged->problems,
              ElementsAre(HasSubstr("not a pipeline manifest")));
}

TEST(PipelineTest, FullDiskLosesNothingAndLeavesNoPartialFiles) {
  std::string dir = NewTempDir("full");
  auto child = RunInProcess([&]() -> int {
    signal(SIGXFSZ, SIG_IGN);
    auto server = Feed(3);
    if (!server.ok()) return 100;
    rlimit rl{700, 700};  // every archive and XML page is larger than this
    setrlimit(RLIMIT_FSIZE, &rl);
    absl::StatusOr<PipelineReport> r =
        RunPipeline(Pipe((*server)->base_url(), dir, 3), Fast());
    if (!r.ok()) return 101;
    int too_large = 0;
    for (const PageFailure& f : r->failures) {
      too_large += absl::StrContains(f.status.message(), "File too large");
    }
    return too_large;
  });
  ASSERT_THAT(child, IsOk());
  absl::StatusOr<int> failed = child->Get();
  ASSERT_THAT(failed, IsOk());
  EXPECT_EQ(*failed, 3);  // each page reported, naming the error
  EXPECT_THAT(ListDir(dir), ElementsAre(".manifest.lock", "manifest.txt"));
  Rerun(dir, 3);  // with room again, the rerun finishes
  ExpectFinished(dir, 3, 2);
}

// The library's defaults are the ones pipeline_main's flags and the README
// give: a user of the library gets the same run as a user of the binary.
TEST(PipelineOptionsTest, DefaultsAreTheDocumentedOnes) {
  const PipelineOptions p;
  EXPECT_EQ(p.pages, 14);
  EXPECT_EQ(p.page_size, 100);
  EXPECT_EQ(p.batch, 2);
  EXPECT_EQ(p.out_dir, ".");
  EXPECT_EQ(p.max_in_flight, 64);
  EXPECT_EQ(p.max_per_host, 64);
  EXPECT_EQ(p.gzip_level, 6);
  EXPECT_TRUE(p.fsync_xml);
  EXPECT_EQ(p.tar_threads, 2);
  EXPECT_EQ(p.group_commit_window, absl::Milliseconds(20));
  EXPECT_EQ(p.max_memory, int64_t{512} << 20);
}

}  // namespace
}  // namespace concurrency::pipeline
