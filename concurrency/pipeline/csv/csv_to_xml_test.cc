#include "concurrency/pipeline/csv/csv_to_xml.h"

#include <signal.h>
#include <sys/resource.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "concurrency/io/atomic_file.h"
#include "concurrency/io/file_util.h"
#include "concurrency/process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pugixml.hpp"
#include "tools/testing/status_matchers.h"
#include "tools/testing/temp_dir.h"

namespace concurrency::pipeline {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing_util::IsOk;
using ::testing_util::StatusIs;

// Parses `xml` back and returns, per row, the (name, text) pairs.
std::vector<std::vector<std::pair<std::string, std::string>>> ReadBack(
    const std::string& xml) {
  pugi::xml_document doc;
  pugi::xml_parse_result r = doc.load_buffer(xml.data(), xml.size());
  EXPECT_TRUE(r) << r.description() << "\n" << xml;
  std::vector<std::vector<std::pair<std::string, std::string>>> rows;
  for (pugi::xml_node row : doc.child("Data").children("Row")) {
    rows.emplace_back();
    for (pugi::xml_node cell : row.children()) {
      rows.back().emplace_back(cell.name(), cell.text().get());
    }
  }
  return rows;
}

TEST(CsvToXmlTest, WritesTheTutorialLayout) {
  absl::StatusOr<std::string> xml = CsvToXml("a,b\n1,2\n3,\n", "t");
  ASSERT_THAT(xml.status(), IsOk());
  EXPECT_EQ(*xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Data>\n"
            "\t<Row>\n\t\t<a>1</a>\n\t\t<b>2</b>\n\t</Row>\n"
            "\t<Row>\n\t\t<a>3</a>\n\t\t<b />\n\t</Row>\n"
            "</Data>\n");
}

TEST(CsvToXmlTest, HeaderOnlyPageGivesNoRows) {
  absl::StatusOr<std::string> xml = CsvToXml("date,open\r\n", "t");
  ASSERT_THAT(xml.status(), IsOk());
  EXPECT_TRUE(ReadBack(*xml).empty());
  EXPECT_THAT(*xml, HasSubstr("<Data>\n</Data>\n"));
}

TEST(CsvToXmlTest, QuotedFieldsCommasNewlinesAndDoubledQuotes) {
  absl::StatusOr<std::string> xml = CsvToXml(
      "name,note\r\n\"Smith, J\",\"said \"\"hi\"\"\nand left\"\r\n\"\",x", "t");
  ASSERT_THAT(xml.status(), IsOk());
  auto rows = ReadBack(*xml);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_THAT(rows[0], ElementsAre(std::pair<std::string, std::string>(
                                       "name", "Smith, J"),
                                   std::pair<std::string, std::string>(
                                       "note", "said \"hi\"\nand left")));
  EXPECT_EQ(rows[1][0].second, "");
  EXPECT_EQ(rows[1][1].second, "x");
}

TEST(CsvToXmlTest, EscapesMarkupInValues) {
  absl::StatusOr<std::string> xml = CsvToXml("v\n\"a<b & c>d\"\n", "t");
  ASSERT_THAT(xml.status(), IsOk());
  EXPECT_THAT(*xml, HasSubstr("<v>a&lt;b &amp; c&gt;d</v>"));
  EXPECT_EQ(ReadBack(*xml)[0][0].second, "a<b & c>d");
}

TEST(CsvToXmlTest, DropsUtf8BomAndKeepsUtf8Text) {
  absl::StatusOr<std::string> xml = CsvToXml(
      "\xEF\xBB\xBF"
      "date,名称\n2020,苹果\n",
      "t");
  ASSERT_THAT(xml.status(), IsOk());
  auto rows = ReadBack(*xml);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].first, "date");
  EXPECT_EQ(rows[0][1].first, "名称");
  EXPECT_EQ(rows[0][1].second, "苹果");
}

TEST(CsvToXmlTest, SkipsBlankLinesAndAcceptsMissingFinalNewline) {
  absl::StatusOr<std::string> xml = CsvToXml("a\n\n1\n\r\n2", "t");
  ASSERT_THAT(xml.status(), IsOk());
  auto rows = ReadBack(*xml);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1][0].second, "2");
}

TEST(CsvToXmlTest, SameOutputWhateverTheChunking) {
  const std::string csv =
      "\xEF\xBB\xBF"
      "h1,h 2\r\n\"x,\"\"y\"\"\r\nz\",é\r\nplain,\"\"\r\n";
  absl::StatusOr<std::string> whole = CsvToXml(csv, "t");
  ASSERT_THAT(whole.status(), IsOk());
  for (size_t step = 1; step <= 4; ++step) {
    std::string out;
    CsvToXmlConverter c("t", [&](absl::string_view b) {
      out.append(b.data(), b.size());
      return absl::OkStatus();
    });
    for (size_t i = 0; i < csv.size(); i += step) {
      ASSERT_THAT(c.Feed(absl::string_view(csv).substr(i, step)), IsOk());
    }
    ASSERT_THAT(c.Finish(), IsOk());
    EXPECT_EQ(out, *whole) << "chunk size " << step;
  }
}

// XML 1.0 (fifth edition), 2.3: NameStartChar and NameChar, less ':' (a
// namespace separator: "a:b" becomes "a_b").
bool SpecNameStartChar(uint32_t c) {
  static constexpr std::pair<uint32_t, uint32_t> kRanges[] = {
      {'A', 'Z'},       {'_', '_'},       {'a', 'z'},        {0xC0, 0xD6},
      {0xD8, 0xF6},     {0xF8, 0x2FF},    {0x370, 0x37D},    {0x37F, 0x1FFF},
      {0x200C, 0x200D}, {0x2070, 0x218F}, {0x2C00, 0x2FEF},  {0x3001, 0xD7FF},
      {0xF900, 0xFDCF}, {0xFDF0, 0xFFFD}, {0x10000, 0xEFFFF}};
  for (const auto& [lo, hi] : kRanges) {
    if (c >= lo && c <= hi) return true;
  }
  return false;
}

bool SpecNameChar(uint32_t c) {
  return SpecNameStartChar(c) || c == '-' || c == '.' ||
         (c >= '0' && c <= '9') || c == 0xB7 || (c >= 0x300 && c <= 0x36F) ||
         (c >= 0x203F && c <= 0x2040);
}

std::string Utf8(uint32_t c) {
  std::string s;
  if (c < 0x80) {
    s.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    s.push_back(static_cast<char>(0xC0 | c >> 6));
    s.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    s.push_back(static_cast<char>(0xE0 | c >> 12));
    s.push_back(static_cast<char>(0x80 | (c >> 6 & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    s.push_back(static_cast<char>(0xF0 | c >> 18));
    s.push_back(static_cast<char>(0x80 | (c >> 12 & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (c >> 6 & 0x3F)));
    s.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
  return s;
}

// Every code point of the Basic Multilingual Plane, and the ends of the
// others, keeps its place in a name exactly when the standard allows it
// there: first ("_" is put before a name that cannot start with it) or
// after the first.
TEST(XmlElementNamesTest, EveryCodePointIsKeptExactlyWhereXmlAllowsIt) {
  std::vector<uint32_t> points;
  for (uint32_t c = 0x21; c < 0x10000; ++c) {
    if (c < 0xD800 || c > 0xDFFF) points.push_back(c);
  }
  for (uint32_t c :
       {0x10000u, 0x10001u, 0xEFFFEu, 0xEFFFFu, 0xF0000u, 0x10FFFFu}) {
    points.push_back(c);
  }
  int wrong = 0;
  for (uint32_t c : points) {
    const std::string ch = Utf8(c);
    const std::string inner = XmlElementNames({"a" + ch})[0];
    const std::string want_inner = SpecNameChar(c) ? "a" + ch : "a_";
    const std::string first = XmlElementNames({ch + "a"})[0];
    std::string want_first = (SpecNameChar(c) ? ch : "_") + "a";
    if (!SpecNameStartChar(c)) want_first = "_" + want_first;
    if (absl::StartsWithIgnoreCase(want_first, "xml")) {
      want_first = "_" + want_first;
    }
    if (inner != want_inner || first != want_first) {
      if (++wrong <= 10) {
        ADD_FAILURE() << absl::StrFormat("U+%04X: got %s and %s", c, inner,
                                         first);
      }
    }
  }
  EXPECT_EQ(wrong, 0);
}

TEST(XmlElementNamesTest, MakesValidUniqueDeterministicNames) {
  std::vector<std::string> headers = {"date", "adj close", "52wk_high", "p&l",
                                      "",     " open ",    "a.b",       "xmlns",
                                      "date", "date_2",    "-x",        "a:b"};
  EXPECT_THAT(
      XmlElementNames(headers),
      ElementsAre("date", "adj_close", "_52wk_high", "p_l", "column_5", "open",
                  "a.b", "_xmlns", "date_2", "date_2_2", "_-x", "a_b"));
  // Every name parses as an element.
  for (const std::string& name : XmlElementNames(headers)) {
    std::string doc = absl::StrCat("<", name, ">v</", name, ">");
    pugi::xml_document d;
    EXPECT_TRUE(d.load_string(doc.c_str())) << name;
  }
}

TEST(CsvToXmlTest, BadHeadersStillGiveWellFormedXml) {
  absl::StatusOr<std::string> xml =
      CsvToXml("adj close,52wk_high,p&l,\n1,2,3,4\n", "t");
  ASSERT_THAT(xml.status(), IsOk());
  auto rows = ReadBack(*xml);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][3].first, "column_4");
}

TEST(CsvToXmlTest, RaggedRowIsAnErrorNamingTheLine) {
  EXPECT_THAT(CsvToXml("a,b\n1,2\n3\n", "page 7").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("page 7: line 3: the record has 1 fields but "
                                 "the header has 2")));
  EXPECT_THAT(
      CsvToXml("a,b\n1,2,3\n", "p").status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2")));
}

TEST(CsvToXmlTest, PadOptionPadsShortRowsOnly) {
  CsvToXmlOptions pad{RaggedRows::kPad};
  absl::StatusOr<std::string> xml = CsvToXml("a,b\n1\n", "p", pad);
  ASSERT_THAT(xml.status(), IsOk());
  auto rows = ReadBack(*xml);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].size(), 2u);
  EXPECT_EQ(rows[0][1].second, "");
  EXPECT_THAT(CsvToXml("a,b\n1,2,3\n", "p", pad).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CsvToXmlTest, InvalidUtf8NamesTheByteOffset) {
  EXPECT_THAT(CsvToXml("a\nok\nb\xFFz\n", "p").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 3: invalid UTF-8 byte 0xFF at byte "
                                 "offset 6")));
  // 0xC0 and 0xC1 could only start overlong forms: no UTF-8 has them.
  for (const char* lead : {"\xC0", "\xC1"}) {
    EXPECT_THAT(CsvToXml(absl::StrCat("a\n", lead, "\xAF\n"), "p").status(),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(absl::StrFormat(
                             "invalid UTF-8 byte 0x%02X at byte offset 2",
                             static_cast<unsigned char>(lead[0])))));
  }
  EXPECT_THAT(CsvToXml("a\n\xED\xA0\x80\n", "p").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("surrogate at byte offset 2")));
  // Both ends of the surrogate range (U+D800, U+DFFF) are refused; the code
  // points just outside it (U+D7FF, U+E000) are text.
  EXPECT_THAT(CsvToXml("a\n\xED\xBF\xBF\n", "p").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("surrogate at byte offset 2")));
  EXPECT_THAT(CsvToXml("a\n\xED\x9F\xBF\n\xEE\x80\x80\n", "p"), IsOk());
  // The shortest form of each length is no overlong form: U+0080, U+0800,
  // U+10000; one below each, in that length, is.
  EXPECT_THAT(CsvToXml("a\n\xC2\x80\n\xE0\xA0\x80\n\xF0\x90\x80\x80\n", "p"),
              IsOk());
  EXPECT_THAT(
      CsvToXml("a\n\xE0\x9F\xBF\n", "p").status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("overlong")));
  EXPECT_THAT(
      CsvToXml("a\n\xF0\x8F\xBF\xBF\n", "p").status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("overlong")));
  EXPECT_THAT(CsvToXml("a\nx\xE4\xB8", "p").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("truncated UTF-8 sequence at byte offset 3")));
  // A real overlong form: U+002F ('/') in three bytes. (\xC0\xAF never
  // reaches the overlong check: 0xC0 is refused as a lead byte first.)
  EXPECT_THAT(CsvToXml("a\nxy\xE0\x80\xAF\n", "p").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 2: overlong UTF-8 sequence at byte "
                                 "offset 4")));
  // A lead byte whose sequence another byte cuts short; a 4-byte sequence
  // past U+10FFFF.
  EXPECT_THAT(CsvToXml("a\n\xC3z\n", "p").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("truncated UTF-8 sequence at byte offset 2")));
  EXPECT_THAT(CsvToXml("a\n\xF4\x90\x80\x80\n", "p").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("beyond U+10FFFF at byte offset 2")));
  EXPECT_THAT(CsvToXml("a\n\xF4\x8F\xBF\xBD\n\xF4\x8F\xBF\xBF\n", "p"),
              IsOk());  // U+10FFFD and U+10FFFF, the last code point
  // 0xEF leads the last 3-byte row: U+FFFD is text, U+FFFE is refused.
  EXPECT_THAT(CsvToXml("a\nx\xEF\xBF\xBD\n", "p"), IsOk());
  EXPECT_THAT(CsvToXml("a\nx\xEF\xBF\xBE\n", "p").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("non-character U+FFFE")));
  EXPECT_THAT(CsvToXml("a\nx\x01y\n", "p").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("control character U+0001")));
}

TEST(CsvToXmlTest, AnErrorNamesTheSameLineWhateverTheChunking) {
  // Chunks of 4 put a line break first in the chunk that holds the bad byte.
  const std::string csv = "a\nok\nb\xFFz\n";
  for (size_t step = 1; step <= 5; ++step) {
    CsvToXmlConverter c("p",
                        [](absl::string_view) { return absl::OkStatus(); });
    absl::Status first;
    for (size_t i = 0; i < csv.size() && first.ok(); i += step) {
      first = c.Feed(absl::string_view(csv).substr(i, step));
    }
    if (first.ok()) first = c.Finish();
    EXPECT_THAT(first, StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr("p: line 3: invalid UTF-8 byte 0xFF "
                                          "at byte offset 6")))
        << "chunk size " << step;
  }
}

TEST(CsvToXmlTest, LineNumbersCountLineBreaksInsideQuotes) {
  // Line 1 "a,b"; lines 2-3 hold one record with a quoted line break; the
  // short record "2" is on line 4.
  EXPECT_THAT(CsvToXml("a,b\n\"x\ny\",1\n2\n", "p").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("p: line 4: the record has 1 fields")));
  EXPECT_THAT(CsvToXml("a,b\r\n\"x\r\ny\",1\r\n\"u\r\nv\r\nw\",2\r\n3\r\n", "p")
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("p: line 7: the record has 1 fields")));
}

TEST(CsvToXmlTest, MalformedQuotingIsAnError) {
  EXPECT_THAT(CsvToXml("a\nx\"y\n", "p").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 2: quote inside an unquoted field")));
  EXPECT_THAT(CsvToXml("a\n\"x\"y\n", "p").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("text after the closing quote")));
  EXPECT_THAT(CsvToXml("a\n1\n\"open\n\n", "p").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("quoted field opened on line 3 is not "
                                 "closed")));
}

TEST(CsvToXmlTest, EmptyInputIsAnError) {
  EXPECT_THAT(CsvToXml("", "page 2").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("page 2: the CSV is empty")));
  EXPECT_THAT(CsvToXml("\n\n", "p").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CsvToXmlTest, TheTutorialsBlankFirstRowDoesNotCrash) {
  // The tutorial raised UnboundLocalError here and lost the queued pages.
  absl::StatusOr<std::string> xml = CsvToXml("a,b\n\n1,2\n", "p");
  ASSERT_THAT(xml.status(), IsOk());
  EXPECT_EQ(ReadBack(*xml).size(), 1u);
}

// The sink is called only with bytes to take (a sink may be a write(2) or
// a compressor's step), header-only pages and page ends included.
TEST(CsvToXmlTest, TheSinkGetsOnlyNonEmptyPieces) {
  for (const std::string& csv :
       {std::string("a,b\n"), std::string("a,b\n1,2\n"),
        "a,b\n" + std::string(200000, 'x') + ",y\n"}) {
    std::string out;
    int empty = 0;
    CsvToXmlConverter c("t", [&](absl::string_view b) {
      if (b.empty()) ++empty;
      out.append(b.data(), b.size());
      return absl::OkStatus();
    });
    ASSERT_THAT(c.Feed(csv), IsOk());
    ASSERT_THAT(c.Finish(), IsOk());
    EXPECT_EQ(empty, 0) << csv.size();
    EXPECT_EQ(out, *CsvToXml(csv, "t")) << csv.size();
  }
}

TEST(CsvToXmlTest, SinkErrorStopsTheConversion) {
  CsvToXmlConverter c("p", [](absl::string_view) {
    return absl::ResourceExhaustedError("disk full");
  });
  EXPECT_THAT(c.Feed("a\n1\n"), StatusIs(absl::StatusCode::kResourceExhausted));
}

// Rows past the first batch are written as they come: a sink that fails
// then fails the Feed, and the converter takes nothing more.
TEST(CsvToXmlTest, ASinkErrorMidStreamFailsEveryLaterCall) {
  int calls = 0;
  CsvToXmlConverter c("p", [&calls](absl::string_view) {
    return ++calls > 1 ? absl::ResourceExhaustedError("disk full")
                       : absl::OkStatus();
  });
  std::string rows = "a,b\n";
  for (int i = 0; i < 100000; ++i) absl::StrAppend(&rows, i, ",x\n");
  absl::Status first = c.Feed(rows);
  for (int i = 0; first.ok() && i < 10; ++i) first = c.Feed(rows.substr(4));
  EXPECT_THAT(first, StatusIs(absl::StatusCode::kResourceExhausted,
                              HasSubstr("disk full")));
  EXPECT_THAT(c.Feed("1,2\n"), StatusIs(absl::StatusCode::kFailedPrecondition,
                                        HasSubstr("already failed")));
  EXPECT_THAT(c.Finish(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

// Rows reach the sink in pieces of at least kPieceBytes and at most one row
// more (the last piece, and the prolog and epilog, aside), on the path for
// simple records and on the one for quoted fields alike.
TEST(CsvToXmlTest, RowsGoToTheSinkInPiecesOfAQuarterMebibyte) {
  constexpr size_t kPiece = CsvToXmlConverter::kPieceBytes;
  for (const char* row : {"12345,abc\n", "\"12345\",\"a,c\"\n"}) {
    std::vector<size_t> pieces;
    std::string out;
    CsvToXmlConverter c("p", [&](absl::string_view b) {
      pieces.push_back(b.size());
      out.append(b.data(), b.size());
      return absl::OkStatus();
    });
    std::string csv = "a,b\n";
    for (int i = 0; i < 40000; ++i) csv += row;  // 40000 rows
    ASSERT_THAT(c.Feed(csv), IsOk());
    ASSERT_THAT(c.Finish(), IsOk());
    EXPECT_EQ(out, *CsvToXml(csv, "p")) << row;
    // The prolog, full pieces, the last piece, the epilog.
    ASSERT_GE(pieces.size(), 5u) << row;
    const size_t row_bytes =  // every row is the same here
        (out.size() - pieces.front() - pieces.back()) / 40000;
    for (size_t i = 1; i + 2 < pieces.size(); ++i) {
      EXPECT_GE(pieces[i], kPiece) << row << " piece " << i;
      EXPECT_LT(pieces[i], kPiece + row_bytes) << row << " piece " << i;
    }
  }
}

// Inputs shorter than a byte order mark are data all the same.
TEST(CsvToXmlTest, InputsShorterThanABomAreKept) {
  for (const char* csv : {"a", "ab", "a\n", "\xEF\xBB"}) {
    std::string out;
    CsvToXmlConverter c("p", [&](absl::string_view b) {
      out.append(b.data(), b.size());
      return absl::OkStatus();
    });
    absl::Status s = c.Feed(csv);
    if (s.ok()) s = c.Finish();
    absl::StatusOr<std::string> whole = CsvToXml(csv, "p");
    ASSERT_EQ(s.ok(), whole.ok()) << csv;
    if (s.ok()) {
      EXPECT_EQ(out, *whole) << csv;
    }
  }
  EXPECT_THAT(CsvToXml("ab", "p"), IsOk());
}

}  // namespace
}  // namespace concurrency::pipeline

namespace concurrency::pipeline {
namespace {

class CsvFileToXmlFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_util::NewTempDir("csv2xml");
    csv_ = dir_ + "/in.csv";
    xml_ = dir_ + "/out.xml";
    ASSERT_THAT(io::WriteFileAtomically(csv_, "a,b\n1,2\n"), IsOk());
  }
  std::string dir_, csv_, xml_;
};

TEST_F(CsvFileToXmlFileTest, ConvertsAFileIntoANewOne) {
  ASSERT_THAT(CsvFileToXmlFile(csv_, xml_), IsOk());
  EXPECT_EQ(*io::ReadFileToString(xml_), *CsvToXml("a,b\n1,2\n", "x"));
  EXPECT_THAT(testing_util::ListDir(dir_), ElementsAre("in.csv", "out.xml"));
}

TEST_F(CsvFileToXmlFileTest, AnExistingOutputIsNotReplaced) {
  ASSERT_THAT(io::WriteFileAtomically(xml_, "mine"), IsOk());
  EXPECT_THAT(CsvFileToXmlFile(csv_, xml_),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("out.xml already exists")));
  EXPECT_EQ(*io::ReadFileToString(xml_), "mine");
  EXPECT_THAT(testing_util::ListDir(dir_), ElementsAre("in.csv", "out.xml"));
  ASSERT_THAT(CsvFileToXmlFile(csv_, xml_, {}, io::AtomicFile::Mode::kReplace),
              IsOk());
  EXPECT_NE(*io::ReadFileToString(xml_), "mine");
}

TEST_F(CsvFileToXmlFileTest, AnUnreadableInputIsNamed) {
  EXPECT_THAT(CsvFileToXmlFile(dir_ + "/missing.csv", xml_),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("open " + dir_ + "/missing.csv")));
  EXPECT_THAT(CsvFileToXmlFile(dir_, xml_),  // a directory: read fails
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("read " + dir_)));
  EXPECT_THAT(testing_util::ListDir(dir_), ElementsAre("in.csv"));
}

TEST_F(CsvFileToXmlFileTest, AFullDiskLeavesNoPartialFile) {
  std::string big = "a,b\n";
  for (int i = 0; i < 20000; ++i) absl::StrAppend(&big, i, ",", i * 7, "\n");
  ASSERT_THAT(
      io::WriteFileAtomically(csv_, big, io::AtomicFile::Mode::kReplace),
      IsOk());
  auto child = RunInProcess([&]() -> int {
    signal(SIGXFSZ, SIG_IGN);
    rlimit rl{100000, 100000};  // the XML is larger than this
    setrlimit(RLIMIT_FSIZE, &rl);
    absl::Status s = CsvFileToXmlFile(csv_, xml_);
    return absl::StrContains(s.message(), "File too large") ? 0 : 1;
  });
  ASSERT_THAT(child, IsOk());
  absl::StatusOr<int> rc = child->Get();
  ASSERT_THAT(rc, IsOk());
  EXPECT_EQ(*rc, 0);
  EXPECT_THAT(testing_util::ListDir(dir_), ElementsAre("in.csv"));
}

}  // namespace
}  // namespace concurrency::pipeline
