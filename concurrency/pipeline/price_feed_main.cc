// The demo price feed on its own: serves the Python anchors' price pages at
// http://127.0.0.1:PORT/prices.csv until SIGINT or SIGTERM. For pipelines run
// as separate processes (a Slurm job array on this machine, tests), which
// must all read the same feed.
//
//   bazel run //concurrency/pipeline:price_feed -- --port=8765 --pages=100
#include <signal.h>

#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/time.h"
#include "concurrency/pipeline/prices.h"

ABSL_FLAG(int, port, 0, "Port on 127.0.0.1 (0: any free one).");
ABSL_FLAG(int, pages, 14, "Pages the feed has: 1..pages; others are 404.");
ABSL_FLAG(int, page_size, 100, "Rows per page when the URL gives none.");
ABSL_FLAG(absl::Duration, delay, absl::Milliseconds(20),
          "Latency added to each response.");
ABSL_FLAG(std::string, user, "", "Basic auth user (none: no auth).");
ABSL_FLAG(std::string, password, "", "Basic auth password.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Serves the demo price feed on 127.0.0.1 until SIGINT or SIGTERM.");
  absl::ParseCommandLine(argc, argv);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // before any thread starts
  auto feed = concurrency::pipeline::StartPriceFeed(
      {.credentials = {.user = absl::GetFlag(FLAGS_user),
                       .password = absl::GetFlag(FLAGS_password)},
       .pages = absl::GetFlag(FLAGS_pages),
       .default_page_size = absl::GetFlag(FLAGS_page_size),
       .delay = absl::GetFlag(FLAGS_delay),
       .threads = 128,
       .port = absl::GetFlag(FLAGS_port)});
  if (!feed.ok()) {
    std::fprintf(stderr, "price_feed: %s\n", feed.status().ToString().c_str());
    return 1;
  }
  std::printf("serving %s/prices.csv\n", (*feed)->base_url().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  (*feed)->Stop();
  return 0;
}
