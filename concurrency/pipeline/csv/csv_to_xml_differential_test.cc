// CsvToXml writes its XML directly; these tests hold it byte-identical to
// pugixml's serialization of the same document (csv_to_xml_reference.h), and
// to itself whatever the chunking: on the fuzzers' corpora, on the
// benchmark's price CSV, on random CSV full of quotes, line breaks and bytes
// XML escapes, and with quotes cut by SIMD blocks and chunk boundaries.
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "concurrency/io/file_util.h"
#include "concurrency/pipeline/csv/csv_to_xml.h"
#include "concurrency/pipeline/csv/csv_to_xml_reference.h"
#include "concurrency/pipeline/prices.h"
#include "gtest/gtest.h"

namespace concurrency::pipeline {
namespace {

// The whole output, or the error, of the converter fed `csv` in pieces of
// the given sizes (cycled; empty: one piece).
absl::StatusOr<std::string> ConvertInChunks(absl::string_view csv,
                                            const std::vector<size_t>& sizes,
                                            const CsvToXmlOptions& options) {
  std::string out;
  CsvToXmlConverter c(
      "t",
      [&out](absl::string_view b) {
        out.append(b.data(), b.size());
        return absl::OkStatus();
      },
      options);
  size_t k = 0;
  while (!csv.empty()) {
    size_t n = sizes.empty() ? csv.size() : sizes[k++ % sizes.size()];
    n = std::min(n, csv.size());
    // A chunk of its own, so that reading past it is a bug ASan sees.
    const std::string chunk(csv.substr(0, n));
    if (absl::Status s = c.Feed(chunk); !s.ok()) return s;
    csv.remove_prefix(n);
  }
  if (absl::Status s = c.Finish(); !s.ok()) return s;
  return out;
}

void ExpectSameAsPugixml(absl::string_view csv,
                         const std::vector<size_t>& sizes = {},
                         const CsvToXmlOptions& options = {}) {
  absl::StatusOr<std::string> want = CsvToXmlWithPugixml(csv, "t", options);
  absl::StatusOr<std::string> got = ConvertInChunks(csv, sizes, options);
  ASSERT_EQ(got.ok(), want.ok()) << csv << "\n"
                                 << got.status() << "\n"
                                 << want.status();
  if (want.ok()) {
    ASSERT_EQ(*got, *want) << csv;
  } else if (sizes.empty()) {
    // With chunks, which of two errors comes first may differ.
    ASSERT_EQ(got.status(), want.status()) << csv;
  }
}

std::string Runfile(const std::string& path) {
  return absl::StrCat(std::getenv("TEST_SRCDIR"), "/",
                      std::getenv("TEST_WORKSPACE"), "/", path);
}

TEST(CsvToXmlDifferentialTest, FuzzCorporaMatchPugixml) {
  int files = 0;
  for (const char* corpus : {"csv_to_xml_fuzzer", "csv_parser_fuzzer"}) {
    const std::string dir =
        Runfile(absl::StrCat("concurrency/pipeline/csv/testdata/", corpus));
    absl::StatusOr<std::vector<std::string>> names = io::ListDirectory(dir);
    ASSERT_TRUE(names.ok()) << names.status();
    for (const std::string& name : *names) {
      absl::StatusOr<std::string> csv =
          io::ReadFileToString(absl::StrCat(dir, "/", name));
      ASSERT_TRUE(csv.ok()) << csv.status();
      SCOPED_TRACE(name);
      ExpectSameAsPugixml(*csv);
      ExpectSameAsPugixml(*csv, {1});
      ExpectSameAsPugixml(*csv, {3, 16, 5});
      ++files;
    }
  }
  EXPECT_GE(files, 10);  // the seed corpora
}

TEST(CsvToXmlDifferentialTest, BenchmarkPricesMatchPugixml) {
  const std::string csv = PricePageCsv(1, 20000);
  ExpectSameAsPugixml(csv);
  ExpectSameAsPugixml(csv, {1 << 20});
  ExpectSameAsPugixml(csv, {4093, 64, 1});
}

// Random CSV, mostly plain, with every structural byte, doubled quotes,
// escapes, multi-byte UTF-8 and ragged rows.
std::string RandomCsv(std::mt19937& rng) {
  static const char* const kPieces[] = {"a",
                                        "bc",
                                        "12.5",
                                        ",",
                                        ",",
                                        "\n",
                                        "\r\n",
                                        "\r",
                                        "\"",
                                        "\"\"",
                                        "&",
                                        "<",
                                        ">",
                                        "\xc3\xa9",
                                        "\xe2\x82\xac",
                                        " ",
                                        "\t",
                                        "x,y",
                                        "\"q,\"\"w\"\"\n\"",
                                        "\"\"",
                                        ",,"};
  std::string csv = "h1,h2,h3\n";
  const int n = 1 + static_cast<int>(rng() % 200);
  for (int i = 0; i < n; ++i) {
    csv += kPieces[rng() % (sizeof(kPieces) / sizeof(kPieces[0]))];
  }
  return csv;
}

TEST(CsvToXmlDifferentialTest, RandomCsvMatchesPugixml) {
  std::mt19937 rng(2026);
  for (int round = 0; round < 3000; ++round) {
    const std::string csv = RandomCsv(rng);
    const std::vector<size_t> sizes = {1 + rng() % 40, 1 + rng() % 7};
    ExpectSameAsPugixml(csv);
    ExpectSameAsPugixml(csv, sizes);
    ExpectSameAsPugixml(csv, {}, {.ragged = RaggedRows::kPad});
  }
}

// A quoted field with a doubled quote and a line break, placed so that its
// quotes fall on each side of every 16- and 32-byte block boundary, fed in
// chunks that cut it at every position.
TEST(CsvToXmlDifferentialTest, QuotesAcrossBlockAndChunkBoundaries) {
  for (size_t pad = 0; pad < 70; ++pad) {
    const std::string csv =
        absl::StrCat("a,b\n", std::string(pad, 'x'), ",\"p\"\"q\nr&s\"\n1,2\n");
    ExpectSameAsPugixml(csv);
    for (size_t cut = 1; cut < csv.size(); ++cut) {
      ExpectSameAsPugixml(csv, {cut, csv.size()});
    }
  }
}

}  // namespace
}  // namespace concurrency::pipeline
