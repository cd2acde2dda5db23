// Lesson 3 and the main job: download threads -> queue -> convert thread ->
// (every --batch XML files, coordinated by a convert event and a tar event)
// -> tar thread. See pipeline.h for what it fixes in the tutorial's version.
//
//   bazel run //concurrency/pipeline
//   bazel run //concurrency/pipeline -- --pages=20 --out_dir=/tmp/prices
//       --url='https://host/prices.csv?page_number={page}'
//       --credentials_file=$HOME/.prices
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "concurrency/pipeline/downloader.h"
#include "concurrency/pipeline/pipeline.h"
#include "concurrency/pipeline/pipeline_flags.h"

int main(int argc, char** argv) {
  concurrency::pipeline::ParsePipelineCommandLine(
      argc, argv,
      "Downloads CSV pages, converts each to XML and packs every --batch XML "
      "files into a .tgz (the tutorial's DownloadThread/ConvertThread/"
      "TarThread pipeline).");
  absl::StatusOr<concurrency::pipeline::PipelineSetup> setup =
      concurrency::pipeline::PipelineSetupFromFlags("pipeline");
  if (!setup.ok()) {
    std::fprintf(stderr, "pipeline: %s\n", setup.status().ToString().c_str());
    return 2;
  }
  concurrency::pipeline::Downloader downloader(setup->download);
  absl::StatusOr<concurrency::pipeline::PipelineReport> report =
      concurrency::pipeline::RunPipeline(downloader, setup->pipeline);
  if (!report.ok()) {
    std::fprintf(stderr, "pipeline: %s\n", report.status().ToString().c_str());
    return 2;
  }
  std::printf("archived %d of %d pages into %zu archives in %s (%s)\n",
              report->pages_archived, setup->pipeline.pages,
              report->archives.size(), setup->pipeline.out_dir.c_str(),
              absl::FormatDuration(report->elapsed).c_str());
  for (const concurrency::pipeline::PageFailure& f : report->failures) {
    std::fprintf(stderr, "page %d: %s\n", f.page, f.status.ToString().c_str());
  }
  std::printf("main thread end.\n");
  return report->ok() ? 0 : 1;
}
