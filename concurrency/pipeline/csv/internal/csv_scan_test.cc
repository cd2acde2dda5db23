#include "concurrency/pipeline/csv/internal/csv_scan.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace concurrency::pipeline::csv_internal {
namespace {

std::vector<const ScanOps*> Vectorized() {
  std::vector<const ScanOps*> ops = {&Sse2Scan()};
  if (Avx2Scan() != nullptr) ops.push_back(Avx2Scan());
  return ops;
}

// Bytes that each search stops at, and bytes around them.
constexpr char kAlphabet[] = {'a', ',', '"',    '\n',   '\r',   '\t',   '&',
                              '<', '>', '\x7f', '\x1f', '\xc3', '\xa9', ' '};

std::string RandomText(std::mt19937& rng, size_t n, int density) {
  std::string s(n, 'x');
  for (char& c : s) {
    if (static_cast<int>(rng() % 100) < density) {
      c = kAlphabet[rng() % sizeof(kAlphabet)];
    }
  }
  return s;
}

// Every start and end inside a buffer, so that hits fall before, on and after
// 16- and 32-byte block boundaries.
TEST(CsvScanTest, VectorizedSearchesAgreeWithTheScalarOnes) {
  std::mt19937 rng(42);
  const ScanOps& scalar = ScalarScan();
  for (int density : {0, 1, 5, 30}) {
    for (int round = 0; round < 20; ++round) {
      const std::string text = RandomText(rng, 100, density);
      for (size_t b = 0; b < 40; ++b) {
        for (size_t e = b; e <= text.size(); ++e) {
          const char* p = text.data() + b;
          const char* end = text.data() + e;
          for (const ScanOps* ops : Vectorized()) {
            SCOPED_TRACE(ops->name);
            ASSERT_EQ(ops->find_field_end(p, end),
                      scalar.find_field_end(p, end));
            ASSERT_EQ(ops->find_non_ascii(p, end),
                      scalar.find_non_ascii(p, end));
            ASSERT_EQ(ops->find_xml_special(p, end),
                      scalar.find_xml_special(p, end));
            int64_t lines = 0, scalar_lines = 0;
            ASSERT_EQ(ops->find_quote(p, end, &lines),
                      scalar.find_quote(p, end, &scalar_lines));
            ASSERT_EQ(lines, scalar_lines);
          }
        }
      }
    }
  }
}

TEST(CsvScanTest, ScalarSearchesFindWhatTheySay) {
  const ScanOps& s = ScalarScan();
  const std::string text = "ab\ncd\"e,\xc3\xa9&";
  const char* end = text.data() + text.size();
  EXPECT_EQ(s.find_field_end(text.data(), end) - text.data(), 2);
  int64_t lines = 0;
  EXPECT_EQ(s.find_quote(text.data(), end, &lines) - text.data(), 5);
  EXPECT_EQ(lines, 1);
  EXPECT_EQ(s.find_non_ascii(text.data(), end) - text.data(), 8);
  EXPECT_EQ(s.find_xml_special(text.data(), end) - text.data(), 10);
  EXPECT_EQ(s.find_non_ascii(text.data(), text.data() + 8), text.data() + 8);
}

// CopyPlainXmlText never reads outside its text, nor writes past its copy:
// a '<' just past the text is not its concern, at every length around the
// 16-byte steps.
TEST(CsvScanTest, CopyPlainXmlTextStaysWithinTheText) {
  for (size_t n = 0; n <= 50; ++n) {
    std::string text(n, 'a');
    for (size_t i = 0; i < n; ++i) text[i] = static_cast<char>('a' + i % 26);
    const std::string input = text + "<<<<<<<<<<<<<<<<";
    std::string out(n + 16, '#');
    char* end = CopyPlainXmlText(out.data(), input.data(), n);
    ASSERT_NE(end, nullptr) << n;
    EXPECT_EQ(end, out.data() + n);
    EXPECT_EQ(out, text + std::string(16, '#')) << n;
    if (n > 0) {  // and a '<' inside it is found wherever it is
      std::string special = text;
      special[n - 1] = '<';
      EXPECT_EQ(CopyPlainXmlText(out.data(), special.data(), n), nullptr) << n;
    }
  }
}

TEST(CsvScanTest, BestIsAvx2WhenTheCpuHasIt) {
  EXPECT_STREQ(BestScan().name, Avx2Scan() != nullptr ? "avx2" : "sse2");
}

}  // namespace
}  // namespace concurrency::pipeline::csv_internal
