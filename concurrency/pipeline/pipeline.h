// The CSV download -> XML conversion -> tar.gz pipeline of the tutorial's
// thread lessons, and the steps the three lesson binaries share.
//
// RunPipeline is lesson 3, the main job:
//
//   download threads --BlockingQueue--> convert thread --events--> tar thread
//
// A ThreadPool of `download_threads` fetches pages and pushes each result
// (CSV or error) into a bounded BlockingQueue; closing the queue, not a
// sentinel, tells the converter that no more pages come. The converter writes
// `data<page>.xml` for each page as it arrives and, every `batch` pages in
// page order, hands the batch to the tar thread as the tutorial does: it sets
// the convert event, and waits for a tar event when `tar_threads` batches
// are already being archived (the tutorial waited for every batch at once,
// idling while the tar thread worked). The tar thread numbers the batches in
// page order and archives them on `tar_threads` workers: `data<k>.tgz` holds
// exactly batch k, and its XML files are deleted only after it is durable.
//
// What differs from the tutorial, on purpose:
//  * Batches follow page order (pages 1-2 in data1.tgz, 3-4 in data2.tgz...),
//    not download order, so archives are the same on every run; a page that
//    failed is skipped and the batch is filled by the next pages.
//  * Only the batch's own files are archived, never every *.xml in the
//    directory; and out_dir must not already hold data*.xml or data*.tgz
//    names (the tutorial overwrote earlier archives).
//  * The last partial batch is archived; the program always ends: downloads
//    retry a bounded number of times (downloader.h), a page that cannot be
//    downloaded or converted is reported and the others go on.
//  * Crash safety: XML files and archives are written through io::AtomicFile
//    (temporary file, fsync, rename), archives also fsync the directory, and
//    XML files are deleted only after their archive is durable. Killed at any
//    moment, every converted page is either a complete data<page>.xml or
//    inside a complete archive. On power loss, archives and their pages are
//    safe; a page converted but not yet archived may lose its XML name (never
//    show partial content under it); with `fsync_xml` off it may also show an
//    empty or partial XML file, as it would with the tutorial. A deleted XML
//    file may reappear after power loss: a duplicate of an archived page,
//    never a loss.
#ifndef CONCURRENCY_PIPELINE_H_
#define CONCURRENCY_PIPELINE_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concurrency/pipeline/csv_to_xml.h"
#include "concurrency/pipeline/downloader.h"

namespace concurrency::pipeline {

struct PipelineOptions {
  // The page URL: `{page}` (or the tutorial's `%s`) becomes the page number,
  // `{page_size}` the page size.
  std::string url_template;
  int pages = 14;
  int page_size = 100;
  int batch = 2;
  std::string out_dir = ".";
  int download_threads = 8;
  CsvToXmlOptions csv;
  int gzip_level = 6;
  // fsync each XML file before renaming it into place (see above).
  bool fsync_xml = true;
  // Archives written at once by the tar thread's workers.
  int tar_threads = 2;
  // Progress lines, like the tutorial's prints; null: silent.
  std::function<void(absl::string_view)> log;
  // Called after each durable step: "xml_written", "archive_written",
  // "xml_removed". Tests kill the process here to check crash safety.
  std::function<void(absl::string_view)> on_step;
};

struct PageFailure {
  int page;
  absl::Status status;
};

struct PipelineReport {
  int pages_archived = 0;
  std::vector<std::string> archives;  // paths, in order
  std::vector<PageFailure> failures;  // by page
  absl::Duration elapsed;
  bool ok() const { return failures.empty(); }
};

// Checks the options (a template with a page placeholder, positive counts, an
// existing writable out_dir without earlier output). Errors name the flag.
absl::Status ValidatePipelineOptions(const PipelineOptions& options);

// The URL of `page`.
std::string PageUrl(absl::string_view url_template, int page, int page_size);

// "data<page>.xml" and "data<k>.tgz", as the tutorial names them.
std::string XmlFileName(int page);
std::string ArchiveFileName(int k);

// Downloads `page` (lesson 1's `download_csv`).
absl::StatusOr<std::string> DownloadPage(Downloader& downloader,
                                         const PipelineOptions& options,
                                         int page);

// Converts one page's CSV into out_dir/data<page>.xml, atomically; returns the
// path (lesson 1's `csv_to_xml`).
absl::StatusOr<std::string> ConvertPage(absl::string_view csv, int page,
                                        const PipelineOptions& options);

// Lesson 3: runs the whole pipeline. A returned error means it could not
// start (bad options); page-level failures are in the report.
absl::StatusOr<PipelineReport> RunPipeline(Downloader& downloader,
                                           const PipelineOptions& options);

}  // namespace concurrency::pipeline

#endif  // CONCURRENCY_PIPELINE_H_
