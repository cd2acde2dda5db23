// Lesson 1: one thread per page, each downloading its page (IO) and then
// converting it to XML (CPU), timed against doing the same pages one after
// another. With the network as the bottleneck, threads overlap the waits.
//
//   bazel run //concurrency/pipeline:download_threads -- --pages=5
#include <cstdio>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "concurrency/io/atomic_file.h"
#include "concurrency/io/file_util.h"
#include "concurrency/pipeline/downloader.h"
#include "concurrency/pipeline/pipeline.h"
#include "concurrency/pipeline/pipeline_cli.h"

namespace {

using concurrency::pipeline::Downloader;
using concurrency::pipeline::PipelineOptions;

// The tutorial's download_and_save: download, then convert.
absl::Status DownloadAndSave(Downloader& downloader,
                             const PipelineOptions& options, int page) {
  absl::StatusOr<std::string> csv =
      concurrency::pipeline::DownloadPage(downloader, options, page);
  if (!csv.ok()) return csv.status();
  return concurrency::pipeline::ConvertPage(*csv, page, options).status();
}

// Runs every page, in threads or not; returns the failures.
int RunAll(Downloader& downloader, const PipelineOptions& options,
           bool threaded) {
  absl::Mutex mu;
  int failures = 0;
  auto one = [&](int page) {
    absl::Status s = DownloadAndSave(downloader, options, page);
    if (!s.ok()) {
      std::fprintf(stderr, "page %d: %s\n", page, s.ToString().c_str());
      absl::MutexLock l(&mu);
      ++failures;
    }
  };
  if (threaded) {
    std::vector<std::thread> threads;  // MyThread(i, ...) for each page
    for (int page = 1; page <= options.pages; ++page) {
      threads.emplace_back(one, page);
    }
    for (std::thread& t : threads) t.join();
  } else {
    for (int page = 1; page <= options.pages; ++page) one(page);
  }
  return failures;
}

}  // namespace

int main(int argc, char** argv) {
  concurrency::pipeline::ParsePipelineCommandLine(
      argc, argv,
      "Lesson 1: a thread per page downloads and converts it; prints the "
      "threaded time beside the sequential one.");
  absl::StatusOr<concurrency::pipeline::PipelineSetup> setup =
      concurrency::pipeline::PipelineSetupFromFlags("download_threads");
  if (!setup.ok()) {
    std::fprintf(stderr, "download_threads: %s\n",
                 setup.status().ToString().c_str());
    return 2;
  }
  if (!setup->banner.empty() && !absl::GetFlag(FLAGS_quiet)) {
    concurrency::pipeline::PrintLine(setup->banner);
  }
  Downloader downloader(setup->download);
  int failures = 0;
  absl::Duration took[2];
  for (bool threaded : {true, false}) {
    PipelineOptions options = setup->pipeline;
    options.out_dir =
        absl::StrCat(options.out_dir, threaded ? "/threaded" : "/sequential");
    if (absl::Status s = concurrency::io::MakeDirs(options.out_dir); !s.ok()) {
      std::fprintf(stderr, "download_threads: %s\n", s.ToString().c_str());
      return 2;
    }
    absl::Status s = concurrency::pipeline::ValidatePipelineOptions(options);
    if (s.ok())
      s = concurrency::pipeline::CheckNoEarlierOutput(options.out_dir);
    if (!s.ok()) {
      std::fprintf(stderr, "download_threads: %s\n", s.ToString().c_str());
      return 2;
    }
    absl::Time t0 = absl::Now();
    failures += RunAll(downloader, options, threaded);
    took[threaded ? 0 : 1] = absl::Now() - t0;
  }
  std::printf(
      "%d pages: threads %.3f s, sequential %.3f s (%.1fx), XML in %s\n",
      setup->pipeline.pages, absl::ToDoubleSeconds(took[0]),
      absl::ToDoubleSeconds(took[1]), absl::FDivDuration(took[1], took[0]),
      setup->pipeline.out_dir.c_str());
  std::printf("main thread end.\n");
  return failures == 0 ? 0 : 1;
}
