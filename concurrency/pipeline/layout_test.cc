#include "concurrency/pipeline/layout.h"

#include <zlib.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "concurrency/pipeline/manifest.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/testing/status_matchers.h"
#include "tools/testing/temp_dir.h"

namespace concurrency::pipeline {
namespace {

using ::testing::HasSubstr;
using ::testing_util::IsOk;
using ::testing_util::NewTempDir;
using ::testing_util::StatusIs;

TEST(LayoutTest, SlotsAreFixedRunsOfBatchPages) {
  Layout l(7, 2);
  EXPECT_EQ(l.slot_count(), 4);
  EXPECT_EQ(l.SlotPages(1), (Range{1, 2}));
  EXPECT_EQ(l.SlotPages(3), (Range{5, 6}));
  EXPECT_EQ(l.SlotPages(4), (Range{7, 7}));  // the last, short one
  EXPECT_EQ(l.SlotOf(1), 1);
  EXPECT_EQ(l.SlotOf(2), 1);
  EXPECT_EQ(l.SlotOf(7), 4);
  EXPECT_EQ(l.shard_slots(), (Range{1, 4}));
  EXPECT_EQ(l.shard_pages(), (Range{1, 7}));
  EXPECT_EQ(Layout(0, 2).slot_count(), 0);
  EXPECT_TRUE(Layout(0, 2).shard_pages().empty());
}

TEST(LayoutTest, ShardsSplitTheSlotsContiguouslyAndEvenly) {
  for (int slots = 0; slots <= 9; ++slots) {
    for (int n = 1; n <= 11; ++n) {
      int next = 1;
      int smallest = slots, largest = 0;
      for (int i = 0; i < n; ++i) {
        Range r = Layout(slots, 1, {i, n}).shard_slots();
        EXPECT_EQ(r.first, next) << slots << " slots, shard " << i << "/" << n;
        next = r.last + 1;
        smallest = std::min(smallest, r.size());
        largest = std::max(largest, r.size());
      }
      EXPECT_EQ(next, slots + 1) << "every slot in exactly one shard";
      EXPECT_LE(largest - smallest, 1) << "balanced";
    }
  }
  EXPECT_EQ(Layout(10, 3, {1, 2}).shard_pages(), (Range{7, 10}));
  EXPECT_EQ(Layout(10, 3, {1, 2}).ManifestName(), "manifest-1-of-2.txt");
  EXPECT_EQ(Layout(10, 3).ManifestName(), "manifest.txt");
}

TEST(LayoutTest, NamesAndTheirNumbers) {
  EXPECT_EQ(XmlFileName(12), "data12.xml");
  EXPECT_EQ(ArchiveFileName(3), "data3.tgz");
  EXPECT_EQ(XmlPageOf("data12.xml"), 12);
  EXPECT_EQ(ArchiveSlotOf("data3.tgz"), 3);
  for (const char* other : {"data.xml", "data01.xml", "data1.xml.bak",
                            "xdata1.xml", "data-1.xml", "data1.tgz"}) {
    EXPECT_EQ(XmlPageOf(other), std::nullopt) << other;
  }
  EXPECT_EQ(TempFileTarget(".data3.xml.tmp.123.4"), "data3.xml");
  EXPECT_EQ(TempFileTarget(".manifest.txt.tmp.9.0"), "manifest.txt");
  EXPECT_EQ(TempFileTarget("data3.xml"), std::nullopt);
  EXPECT_EQ(TempFileTarget(".manifest.lock"), std::nullopt);
}

Manifest Example() {
  Manifest m;
  m.settings = {"http://h/p?n={page}", 7, 100, 2, {0, 1}};
  m.archives[1] = {{1, 2}, 11134, 0xea6905cc};
  m.archives[4] = {{7, 7}, 5685, 0x0000abcd};
  return m;
}

TEST(ManifestTest, RoundTripsAsReadableText) {
  const std::string text = SerializeManifest(Example());
  EXPECT_EQ(text,
            "pipeline-manifest 1\nurl http://h/p?n={page}\npages 7\n"
            "page_size 100\nbatch 2\nshard 0/1\n"
            "archive data1.tgz pages=1-2 size=11134 crc32=ea6905cc "
            "sum=d33c28b7\n"
            "archive data4.tgz pages=7-7 size=5685 crc32=0000abcd "
            "sum=9c76f9d2\n");
  absl::StatusOr<Manifest> back = ParseManifest(text, "m.txt");
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->settings, Example().settings);
  EXPECT_EQ(back->archives, Example().archives);
}

TEST(ManifestTest, AJournalLineCutByACrashIsDropped) {
  const std::string good = SerializeManifest(Example());
  // Cut anywhere in the last line: no line break, or (cut after a line
  // break, garbage) a wrong sum. The archive it named is not recorded.
  for (const std::string& torn :
       {good.substr(0, good.size() - 5), good.substr(0, good.size() - 40),
        absl::StrCat(good,
                     "archive data2.tgz pages=3-4 size=1 crc32=00000000 "
                     "sum=00000000\n")}) {
    absl::StatusOr<Manifest> m = ParseManifest(torn, "m.txt");
    ASSERT_THAT(m, IsOk()) << torn;
    EXPECT_TRUE(m->torn_tail);
    EXPECT_EQ(m->archives.size(), torn.size() > good.size() ? 2u : 1u);
    EXPECT_TRUE(m->archives.contains(1));
  }
  // Version 1's lines, without sums, are read as they are.
  absl::StatusOr<Manifest> v1 =
      ParseManifest(absl::StrCat(good.substr(0, good.find("archive")),
                                 "archive data1.tgz pages=1-2 size=11134 "
                                 "crc32=ea6905cc\n"),
                    "m.txt");
  ASSERT_THAT(v1, IsOk());
  EXPECT_FALSE(v1->torn_tail);
  EXPECT_EQ(v1->archives.at(1), Example().archives.at(1));
}

TEST(ManifestTest, CorruptManifestsNameTheFileAndLine) {
  const std::string good = SerializeManifest(Example());
  EXPECT_THAT(ParseManifest(good.substr(0, 40), "m.txt"),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("m.txt: does not end with a line break")));
  std::string bad_sum = good;  // a wrong sum before the last line
  bad_sum.replace(bad_sum.find("sum=d33c28b7"), 12, "sum=d33c28b8");
  EXPECT_THAT(ParseManifest(bad_sum, "m.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("m.txt line 7: not a valid manifest line")));
  EXPECT_THAT(ParseManifest("something else\n", "m.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("m.txt line 1: not a pipeline manifest")));
  std::string bad_crc = good;
  bad_crc.replace(bad_crc.find("ea6905cc"), 8, "ea69zzcc");
  EXPECT_THAT(ParseManifest(bad_crc, "m.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("m.txt line 7: not a valid manifest line")));
  EXPECT_THAT(ParseManifest(good + "archive data1.tgz pages=1-2 size=1 "
                                   "crc32=00000000\nurl y\n",
                            "m.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 9")));  // the same archive twice
  EXPECT_THAT(ParseManifest("pipeline-manifest 1\nurl x\npages 1\n", "m.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("needs each of url, pages")));
  // A long bad line is quoted by its first 120 bytes.
  const std::string long_line = std::string(120, 'a') + "bcd";
  absl::Status quoted =
      ParseManifest(absl::StrCat(good, long_line, "\n"), "m.txt").status();
  EXPECT_THAT(
      quoted,
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr(absl::StrCat("\"", std::string(120, 'a'), "\""))));
}

// Every field of a line is checked: a line that is not exactly what
// SerializeManifest writes is refused by its number, never half-read. (Lines
// without a sum, as version 1 wrote them, are parsed the same way.)
TEST(ManifestTest, EachMalformedLineIsRefusedByItsNumber) {
  // The settings, with the one starting as `line` does put in its place, and
  // `archive` (if any) after them, on line 7.
  auto manifest = [](absl::string_view line, absl::string_view archive = "") {
    std::string text = "pipeline-manifest 1\n";
    for (absl::string_view setting :
         {"url x", "pages 7", "page_size 100", "batch 2", "shard 0/1"}) {
      const absl::string_view key = setting.substr(0, setting.find(' ') + 1);
      absl::StrAppend(&text, absl::StartsWith(line, key) ? line : setting,
                      "\n");
    }
    if (!archive.empty()) absl::StrAppend(&text, archive, "\n");
    return text;
  };
  for (absl::string_view good : {"shard 1/2", "pages 0", "batch 1", "url y"}) {
    EXPECT_THAT(ParseManifest(manifest(good), "m.txt"), IsOk()) << good;
  }
  for (absl::string_view good :
       {"archive data1.tgz pages=1-2 size=5 crc32=0000abcd",
        "archive data3.tgz pages=5 size=0 crc32=FFFFFFFF"}) {
    EXPECT_THAT(ParseManifest(manifest("", good), "m.txt"), IsOk()) << good;
  }
  for (const auto& [bad, number] :
       std::vector<std::pair<absl::string_view, int>>{{"url ", 2},
                                                      {"pages -1", 3},
                                                      {"page_size x", 4},
                                                      {"batch 0", 5},
                                                      {"shard 2/2", 6},
                                                      {"shard -1/2", 6},
                                                      {"shard 0/0", 6},
                                                      {"shard 1", 6},
                                                      {"shard x/2", 6}}) {
    EXPECT_THAT(
        ParseManifest(manifest(bad), "m.txt").status(),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 HasSubstr(absl::StrCat("m.txt line ", number,
                                        ": not a valid manifest line"))))
        << bad;
  }
  for (absl::string_view bad : {
           "colour red",
           "archive data1.tgz pages=1-2 size=5",
           "archive data1.tgz pages=1-2 size=5 crc32=0000abcd x",
           "archive data1.tar pages=1-2 size=5 crc32=0000abcd",
           "archive data1.tgz page=1-2 size=5 crc32=0000abcd",
           "archive data1.tgz pages=x size=5 crc32=0000abcd",
           "archive data1.tgz pages=1-x size=5 crc32=0000abcd",
           "archive data1.tgz pages=2-1 size=5 crc32=0000abcd",
           "archive data1.tgz pages=1-2 bytes=5 crc32=0000abcd",
           "archive data1.tgz pages=1-2 size=five crc32=0000abcd",
           "archive data1.tgz pages=1-2 size=5 crc=0000abcd",
           "archive data1.tgz pages=1-2 size=5 crc32=000abcd",
           "archive data1.tgz pages=1-2 size=5 crc32=0000abcdd",
           "archive data1.tgz pages=1-2 size=5 crc32=0000abcg",
       }) {
    EXPECT_THAT(ParseManifest(manifest("", bad), "m.txt").status(),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("m.txt line 7: not a valid manifest line")))
        << bad;
  }
}

TEST(ManifestTest, ADifferentRunIsNamedBySetting) {
  RunSettings a = Example().settings;
  EXPECT_THAT(CheckSameRun(a, a, "m.txt"), IsOk());
  struct Case {
    RunSettings b;
    const char* message;
  };
  RunSettings url = a, pages = a, size = a, batch = a, shard = a;
  url.url = "demo";
  pages.pages = 8;
  size.page_size = 50;
  batch.batch = 3;
  shard.shard = {1, 2};
  for (const Case& c : {Case{url, "with url http://h/p?n={page}, not demo"},
                        Case{pages, "with pages 7, not 8"},
                        Case{size, "with page_size 100, not 50"},
                        Case{batch, "with batch 2, not 3"},
                        Case{shard, "with shard 0/1, not 1/2"}}) {
    EXPECT_THAT(
        CheckSameRun(a, c.b, "m.txt"),
        StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(c.message)));
  }
}

// The manifest's record of an archive: size and CRC-32, read in chunks, so
// sizes around and across the chunk size are the cases.
TEST(MeasureFileTest, SizeAndCrcOfWholeFilesWhateverTheirSize) {
  const std::string dir = NewTempDir("measure");
  for (size_t size : {size_t{0}, size_t{1}, size_t{65535}, size_t{65536},
                      size_t{65537}, size_t{131072}, size_t{200003}}) {
    std::string bytes(size, '\0');
    for (size_t i = 0; i < size; ++i) {
      bytes[i] = static_cast<char>((i * 2654435761u) >> 13);
    }
    const std::string path = absl::StrCat(dir, "/f", size);
    std::ofstream(path, std::ios::binary) << bytes;
    absl::StatusOr<ArchiveRecord> r = MeasureFile(path);
    ASSERT_THAT(r.status(), IsOk()) << size;
    EXPECT_EQ(r->size, size);
    EXPECT_EQ(r->crc32, crc32(crc32(0L, Z_NULL, 0),
                              reinterpret_cast<const Bytef*>(bytes.data()),
                              static_cast<uInt>(size)))
        << size;
  }
  EXPECT_THAT(MeasureFile(dir + "/missing").status(),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace concurrency::pipeline
