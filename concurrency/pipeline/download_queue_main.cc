// Lesson 2: download threads feed one convert thread through a queue. The
// converter ends when the queue is closed and drained; no sentinel value.
//
//   bazel run //concurrency/pipeline:download_queue -- --pages=5
#include <cstdio>
#include <optional>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "concurrency/blocking_queue.h"
#include "concurrency/pipeline/downloader.h"
#include "concurrency/pipeline/pipeline.h"
#include "concurrency/pipeline/pipeline_cli.h"

namespace {

struct Page {
  int number;
  std::string csv;
};

}  // namespace

int main(int argc, char** argv) {
  concurrency::pipeline::ParsePipelineCommandLine(
      argc, argv, "Lesson 2: DownloadThreads -> queue -> ConvertThread.");
  absl::StatusOr<concurrency::pipeline::PipelineSetup> setup =
      concurrency::pipeline::PipelineSetupFromFlags("download_queue");
  if (!setup.ok()) {
    std::fprintf(stderr, "download_queue: %s\n",
                 setup.status().ToString().c_str());
    return 2;
  }
  if (!setup->banner.empty() && !absl::GetFlag(FLAGS_quiet)) {
    concurrency::pipeline::PrintLine(setup->banner);
  }
  const concurrency::pipeline::PipelineOptions& options = setup->pipeline;
  absl::Status valid = concurrency::pipeline::ValidatePipelineOptions(options);
  if (valid.ok()) {
    valid = concurrency::pipeline::CheckNoEarlierOutput(options.out_dir);
  }
  if (absl::Status s = valid; !s.ok()) {
    std::fprintf(stderr, "download_queue: %s\n", s.ToString().c_str());
    return 2;
  }
  concurrency::pipeline::Downloader downloader(setup->download);
  concurrency::BlockingQueue<Page> queue;
  std::atomic<int> failures{0};

  // ConvertThread: converts pages until the queue is closed and empty.
  std::thread convert_thread([&] {
    while (std::optional<Page> page = queue.Pop()) {
      absl::StatusOr<std::string> xml =
          concurrency::pipeline::ConvertPage(page->csv, page->number, options);
      if (!xml.ok()) {
        std::fprintf(stderr, "page %d: %s\n", page->number,
                     xml.status().ToString().c_str());
        ++failures;
      }
    }
  });

  // One DownloadThread per page, as in the tutorial.
  std::vector<std::thread> download_threads;
  for (int i = 1; i <= options.pages; ++i) {
    download_threads.emplace_back([&, i] {
      absl::StatusOr<std::string> csv =
          concurrency::pipeline::DownloadPage(downloader, options, i);
      if (!csv.ok()) {
        std::fprintf(stderr, "page %d: %s\n", i,
                     csv.status().ToString().c_str());
        ++failures;
        return;
      }
      (void)queue.Push(Page{i, *std::move(csv)});
    });
  }
  for (std::thread& t : download_threads) t.join();
  queue.Close();  // tells the converter that nothing more comes
  convert_thread.join();
  std::printf("%d of %d pages converted into %s\n",
              options.pages - failures.load(), options.pages,
              options.out_dir.c_str());
  std::printf("main thread end.\n");
  return failures == 0 ? 0 : 1;
}
