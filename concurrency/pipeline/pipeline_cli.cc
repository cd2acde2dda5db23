#include "concurrency/pipeline/pipeline_cli.h"

#include <stdlib.h>

#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "concurrency/io/file_util.h"
#include "concurrency/pipeline/prices.h"

ABSL_FLAG(std::string, url, "",
          "Page URL template: {page} (or %s) is the page number, {page_size} "
          "the page size. Empty: serve the built-in demo price feed on "
          "127.0.0.1.");
ABSL_FLAG(int, pages, 14, "Pages to download: 1..pages.");
ABSL_FLAG(int, page_size, 100, "Rows per page ({page_size} in --url).");
ABSL_FLAG(int, batch, 2,
          "Pages per .tgz archive: data<k>.tgz holds pages (k-1)*batch+1 to "
          "k*batch.");
ABSL_FLAG(std::string, out_dir, "",
          "Output directory. Empty: a fresh pipeline_out/<binary>-<time>. "
          "The pipeline resumes an earlier run of the same settings there.");
ABSL_FLAG(int, retries, 4,
          "Retries per page after the first attempt (connection errors, "
          "timeouts, truncated bodies, HTTP 408/429/5xx).");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(30),
          "Time limit of one download attempt.");
ABSL_FLAG(absl::Duration, connect_timeout, absl::Seconds(5),
          "Time limit to connect.");
ABSL_FLAG(std::string, max_memory, "512MiB",
          "Page data held at once (bodies in flight, pages waiting to be "
          "converted), e.g. 512MiB or 2GiB: when it is full no transfer "
          "starts and running ones pause until memory is freed (pipeline "
          "only).");
ABSL_FLAG(std::string, max_page_size, "256MiB",
          "A page larger than this fails at once and is not retried: from "
          "its Content-Length, or counted as a body of unknown length "
          "arrives.");
ABSL_FLAG(std::string, user, "",
          "HTTP basic auth user (else --credentials_file, else "
          "$PIPELINE_USER).");
ABSL_FLAG(std::string, password, "",
          "HTTP basic auth password (visible in `ps`: prefer "
          "--credentials_file or $PIPELINE_PASSWORD).");
ABSL_FLAG(std::string, credentials_file, "",
          "File holding one line user:password.");
ABSL_FLAG(std::string, ragged, "error",
          "Records whose field count differs from the header's: 'error' "
          "fails the page, 'pad' pads short records with empty elements.");
ABSL_FLAG(absl::Duration, demo_delay, absl::Milliseconds(20),
          "Demo feed only: latency added to each response.");
ABSL_FLAG(bool, quiet, false, "Print only the summary and errors.");

namespace concurrency::pipeline {
namespace {

// Connections the demo feed serves at once: enough for any download stage.
constexpr int kDemoFeedThreads = 128;

// "512MiB", "2G", "100k", "4096": a size in bytes (K, M, G are binary).
absl::StatusOr<int64_t> ParseByteSize(absl::string_view flag,
                                      absl::string_view text) {
  absl::string_view number = text;
  int shift = 0;
  for (auto [suffix, s] : {std::pair{"KiB", 10},
                           {"MiB", 20},
                           {"GiB", 30},
                           {"K", 10},
                           {"M", 20},
                           {"G", 30},
                           {"k", 10},
                           {"m", 20},
                           {"g", 30}}) {
    if (absl::ConsumeSuffix(&number, suffix)) {
      shift = s;
      break;
    }
  }
  int64_t n = 0;
  if (!absl::SimpleAtoi(number, &n) || n < 1 ||
      n > (int64_t{1} << (62 - shift))) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, "=", text,
                     ": expected a size such as 512MiB, 2GiB or 4096"));
  }
  return n << shift;
}

std::string RandomToken() {
  absl::BitGen rng;
  return absl::StrFormat("%016x", absl::Uniform<uint64_t>(rng));
}

absl::Status ReadPipelineFlags(PipelineOptions& p) {
  p.pages = absl::GetFlag(FLAGS_pages);
  p.page_size = absl::GetFlag(FLAGS_page_size);
  p.batch = absl::GetFlag(FLAGS_batch);
  std::string ragged = absl::GetFlag(FLAGS_ragged);
  if (ragged == "error") {
    p.csv.ragged = RaggedRows::kError;
  } else if (ragged == "pad") {
    p.csv.ragged = RaggedRows::kPad;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--ragged=", ragged, ": expected 'error' or 'pad'"));
  }
  absl::StatusOr<int64_t> memory =
      ParseByteSize("max_memory", absl::GetFlag(FLAGS_max_memory));
  if (!memory.ok()) return memory.status();
  p.max_memory = *memory;
  if (!absl::GetFlag(FLAGS_quiet)) p.log = PrintLine;
  return absl::OkStatus();
}

absl::Status ReadDownloadFlags(DownloaderOptions& d) {
  absl::StatusOr<int64_t> page =
      ParseByteSize("max_page_size", absl::GetFlag(FLAGS_max_page_size));
  if (!page.ok()) return page.status();
  d.max_page_size = *page;
  d.timeout = absl::GetFlag(FLAGS_timeout);
  d.connect_timeout = absl::GetFlag(FLAGS_connect_timeout);
  if (absl::GetFlag(FLAGS_retries) < 0) {
    return absl::InvalidArgumentError("--retries must be >= 0");
  }
  d.retry.max_attempts = absl::GetFlag(FLAGS_retries) + 1;
  if (!absl::GetFlag(FLAGS_quiet)) d.log = PrintLine;
  return absl::OkStatus();
}

// The source: --url and its credentials, or the demo feed.
absl::Status ChooseSource(PipelineSetup& setup) {
  PipelineOptions& p = setup.pipeline;
  p.url_template = absl::GetFlag(FLAGS_url);
  if (!p.url_template.empty()) {
    absl::StatusOr<Credentials> c = http::LoadCredentials(
        absl::GetFlag(FLAGS_user), absl::GetFlag(FLAGS_password),
        absl::GetFlag(FLAGS_credentials_file), "PIPELINE");
    if (!c.ok()) return c.status();
    setup.download.credentials = *c;
    return absl::OkStatus();
  }
  Credentials demo{"demo", RandomToken()};
  absl::StatusOr<std::unique_ptr<http::HttpServer>> feed =
      StartPriceFeed({.credentials = demo,
                      .pages = p.pages,
                      .default_page_size = p.page_size,
                      .delay = absl::GetFlag(FLAGS_demo_delay),
                      .threads = kDemoFeedThreads});
  if (!feed.ok()) return feed.status();
  setup.demo_feed = std::move(*feed);
  p.url_template = absl::StrCat(
      setup.demo_feed->base_url(),
      "/prices.csv?ticker=AAPL&hide_paging=true&page_size={page_size}"
      "&page_number={page}");
  p.source = "demo";  // the port changes; the feed's pages do not
  setup.download.credentials = demo;
  setup.banner = absl::StrFormat(
      "no --url: serving the demo price feed on %s (random credentials, %s "
      "per response)",
      setup.demo_feed->base_url(),
      absl::FormatDuration(absl::GetFlag(FLAGS_demo_delay)));
  return absl::OkStatus();
}

absl::Status ChooseOutDir(absl::string_view name, PipelineOptions& p) {
  p.out_dir = absl::GetFlag(FLAGS_out_dir);
  if (p.out_dir.empty()) {
    const char* base = getenv("BUILD_WORKING_DIRECTORY");
    p.out_dir = absl::StrCat(
        base != nullptr ? base : ".", "/pipeline_out/", name, "-",
        absl::FormatTime("%Y%m%dT%H%M%E3SZ", absl::Now(), absl::UTCTimeZone()));
  }
  return io::MakeDirs(p.out_dir);
}

}  // namespace

void PrintLine(absl::string_view line) {
  std::fprintf(stdout, "%.*s\n", static_cast<int>(line.size()), line.data());
  std::fflush(stdout);
}

void ParsePipelineCommandLine(int argc, char** argv, absl::string_view usage) {
  absl::FlagsUsageConfig config;
  config.contains_help_flags = [](absl::string_view file) {
    return absl::StrContains(file, "concurrency/pipeline/");
  };
  config.contains_helpshort_flags = config.contains_help_flags;
  absl::SetFlagsUsageConfig(config);
  absl::SetProgramUsageMessage(usage);
  absl::ParseCommandLine(argc, argv);
}

absl::StatusOr<PipelineSetup> PipelineSetupFromFlags(absl::string_view name) {
  PipelineSetup setup;
  if (absl::Status s = ReadPipelineFlags(setup.pipeline); !s.ok()) return s;
  if (absl::Status s = ReadDownloadFlags(setup.download); !s.ok()) return s;
  if (absl::Status s = ChooseSource(setup); !s.ok()) return s;
  if (absl::Status s = ChooseOutDir(name, setup.pipeline); !s.ok()) return s;
  return setup;
}

}  // namespace concurrency::pipeline
