#include "concurrency/pipeline/prices.h"

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace concurrency::pipeline {
namespace {

// Golden rows printed by the Python anchor's prices_gen.row(g) (see
// ../shared/anchors/python/prices_gen.py): the C++ twin must match them byte
// for byte so both pipelines see the same input.
TEST(PricesTest, RowsMatchThePythonGenerator) {
  const std::vector<std::pair<int64_t, std::string>> golden = {
      {0,
       "2020-07-10,109.12,110.41,108.59,108.83,22141335.0,0.82,1.0,106.9404,"
       "108.2049,106.4144,106.6564,22141335.0"},
      {1,
       "2020-07-09,104.76,104.90,103.21,104.75,11361620.0,0.00,1.0,102.6615,"
       "102.7989,101.1435,102.6532,11361620.0"},
      {62,
       "2020-05-09,140.74,141.63,138.22,139.80,17523324.0,0.00,1.0,137.9277,"
       "138.7936,135.4519,137.0049,17523324.0"},
      {63,
       "2020-05-08,149.41,150.37,147.52,148.98,4100193.0,0.82,1.0,146.4226,147."
       "3652,144.5709,146.0006,4100193.0"},
      {36499,
       "1920-08-05,98.68,102.07,98.33,100.41,47703614.0,0.00,1.0,96.7054,100."
       "0285,96.3631,98.4056,47703614.0"},
      {36500,
       "2020-07-10,104.37,105.03,101.72,103.05,44242171.0,0.00,1.0,102.2874,"
       "102.9337,99.6897,100.9872,44242171.0"},
      {123456,
       "1982-04-25,120.57,122.49,117.63,119.58,13259635.0,0.00,1.0,118.1613,"
       "120.0379,115.2797,117.1847,13259635.0"},
  };
  for (const auto& [g, row] : golden) EXPECT_EQ(PriceRow(g), row) << g;
}

TEST(PricesTest, PageMatchesThePythonGenerator) {
  std::string page = PricePageCsv(7, 200);
  EXPECT_EQ(page.size(), 20361u);
  std::vector<std::string> lines = absl::StrSplit(page, '\n');
  ASSERT_EQ(lines.size(), 202u);  // header, 200 rows, "" after the last \n
  EXPECT_EQ(lines[0],
            "date,open,high,low,close,volume,ex_dividend,split_ratio,adj_open,"
            "adj_high,adj_low,adj_close,adj_volume");
  EXPECT_EQ(lines[1],
            "2017-03-28,145.46,145.58,142.32,143.00,8029427.0,0.00,1.0,142."
            "5465,142.6700,139.4751,140.1420,8029427.0");
  EXPECT_EQ(lines[200],
            "2016-09-10,103.35,105.26,103.16,105.24,20379724.0,0.00,1.0,101."
            "2819,103.1561,101.1007,103.1333,20379724.0");
}

TEST(PricesTest, HandlerChecksAuthAndPages) {
  auto handler = PriceFeedHandler(
      {.credentials = {.user = "u", .password = "p"}, .pages = 3});
  http::HttpRequest r;
  r.path = "/prices.csv";
  r.query = "page_number=2&page_size=5";
  EXPECT_EQ(handler(r).status, 401);
  r.headers["authorization"] = "Basic dTpw";  // base64("u:p")
  http::HttpResponse ok = handler(r);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, PricePageCsv(2, 5));
  r.query = "page_number=4";
  EXPECT_EQ(handler(r).status, 404);
  r.query = "page_number=0";  // pages count from 1
  EXPECT_EQ(handler(r).status, 404);
  r.query = "page_number=1&page_size=0";
  EXPECT_EQ(handler(r).status, 404);
  r.query = "page_number=x";
  EXPECT_EQ(handler(r).status, 400);
  r.path = "/other.csv";  // the feed has one path
  r.query = "page_number=1";
  EXPECT_EQ(handler(r).status, 404);
}

TEST(PricesTest, DefaultsAreTheTutorialsFeed) {
  const PriceFeedOptions o;
  EXPECT_EQ(o.pages, 14);
  EXPECT_EQ(o.default_page_size, 100);
  EXPECT_EQ(o.delay, absl::ZeroDuration());
  EXPECT_EQ(o.threads, 16);
  EXPECT_EQ(o.port, 0);
}

}  // namespace
}  // namespace concurrency::pipeline
