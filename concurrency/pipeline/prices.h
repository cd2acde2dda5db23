// The demo price feed: a C++ twin of the Python anchors' `prices_gen.py` and
// `csv_server.py`, so the pipeline runs and is tested offline.
//
// `PricePageCsv(page, size)` is byte-for-byte the CSV of
// `prices_gen.page_text(page, size)`: 13 columns of daily stock prices, each
// row a pure function of its index (splitmix64 + sin). `PriceFeedHandler`
// serves `GET /prices.csv?page_number=N&page_size=M` behind HTTP basic auth:
// 401 without the right credentials (no auth at all when both user and
// password are empty), 404 for a page past `pages`, as the
// anchor server does.
#ifndef CONCURRENCY_PIPELINE_PRICES_H_
#define CONCURRENCY_PIPELINE_PRICES_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concurrency/http/credentials.h"
#include "concurrency/http/server.h"

namespace concurrency::pipeline {

// One CSV line (no newline) for global row index `g`.
std::string PriceRow(int64_t g);

// Header plus rows [(page-1)*size, page*size), each line ended by '\n'.
std::string PricePageCsv(int64_t page, int64_t size);

struct PriceFeedOptions {
  http::Credentials credentials;  // empty: no auth
  int64_t pages = 14;
  int64_t default_page_size = 100;
  absl::Duration delay = absl::ZeroDuration();  // per response
  int threads = 16;                             // connections served at once
  int port = 0;  // on 127.0.0.1; 0: an ephemeral port
};

// Answers one request of the feed (without the delay).
http::HttpServer::Handler PriceFeedHandler(PriceFeedOptions options);

// Starts an HttpServer serving the feed at GET /prices.csv.
absl::StatusOr<std::unique_ptr<http::HttpServer>> StartPriceFeed(
    PriceFeedOptions options);

}  // namespace concurrency::pipeline

#endif  // CONCURRENCY_PIPELINE_PRICES_H_
