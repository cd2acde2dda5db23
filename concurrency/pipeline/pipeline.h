// -----------------------------------------------------------------------------
// File: pipeline.h
// -----------------------------------------------------------------------------
//
// The CSV download -> XML conversion -> tar.gz pipeline of the tutorial's
// thread lessons, and the steps the three lesson binaries share.
//
// RunPipeline is lesson 3, the main job:
//
//   fetch thread --BlockingQueue--> convert thread --BlockingQueue-->
//       tar threads --BlockingQueue--> manifest recorder
//
// The fetch thread keeps up to `max_in_flight` downloads open at once with
// libcurl's multi interface (multi_fetcher.h) and pushes each page's result
// (CSV or error) into a bounded BlockingQueue; closing the queue, not a
// sentinel, tells the converter that no more pages come. The converter
// converts each page to XML in memory, where it waits for the rest of its
// slot (layout.h: slot k is pages (k-1)*batch+1 ... k*batch); as soon as
// every page of a slot is converted it hands the slot to the tar threads
// through a queue of `tar_threads` places, and waits only while that many
// slots already wait (the tutorial's convert and tar events, with slack).
// Each of the `tar_threads` tar threads writes a slot's archive data<k>.tgz
// from memory; the recorder then makes the archives durable and adds them to
// the journal, all archives finished since its last round at once, and only
// after that lets their pages' memory go. The main job writes no
// data<page>.xml on its way.
//
// Memory. Every byte of page data in memory, from the socket to the
// converter, is taken from one MemoryBudget of `max_memory` bytes: no
// transfer starts while it is full, running ones pause until the converter
// gives memory back, and a page over `max_page_size` fails at once, not
// retried. No feed can grow the process without a bound: not an endless
// body, nor one that announces 50 GB, nor many large pages at once.
//
// Pages that wait (the resume contract). A converted page is parked as
// data<page>.xml when its slot cannot complete in this run: at the end of a
// run in which a partner page failed, when the run is stopped
// (`PipelineOptions::stop`, which the pipeline's main sets on SIGINT and
// SIGTERM), or when the memory budget has no room for it. A rerun with the
// same settings into the same `out_dir` finishes the job: archived pages are
// neither fetched nor archived again; parked data<page>.xml files are
// archived without being fetched; temporary files and archives the manifest
// does not name (a kill between an archive and its manifest entry) are
// removed; failed pages are tried again. After a kill -9, what was only in
// memory is fetched again by the rerun. No page is ever in two archives.
// Refused, with every file left in place: a manifest of other settings (naming
// the setting), a corrupt manifest, an archive the manifest names that is
// missing or does not match its size and CRC-32, output of ours without a
// manifest, and a second run holding the directory's lock.
//
// Crash safety: parked XML files, archives and the manifest are written
// through io::AtomicFile. An archive is renamed into place once written, and
// fsynced with its directory (by the recorder, in groups) before the journal
// names it; nothing that depends on a file is removed before it is durable.
// After any number of kills and reruns, every page ends in exactly one
// complete archive, and no half-written file stands under a final name. (A
// power loss may leave one that the journal does not name: the rerun removes
// it, as it removes every archive the journal does not name.)
//
// What differs from the tutorial, on purpose: archives hold fixed slots
// (the same on every run, whatever finished first); only a slot's own files
// go into its archive; every slot is archived, the last short one included;
// downloads retry a bounded number of times, and a page that fails is
// reported while the others go on.
#ifndef CONCURRENCY_PIPELINE_PIPELINE_H_
#define CONCURRENCY_PIPELINE_PIPELINE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "concurrency/pipeline/csv/csv_to_xml.h"
#include "concurrency/pipeline/downloader.h"
#include "concurrency/pipeline/layout.h"
#include "concurrency/pipeline/progress.h"

namespace concurrency::pipeline {

struct PipelineOptions {
  // The page URL: `{page}` (or the tutorial's `%s`) becomes the page number,
  // `{page_size}` the page size.
  std::string url_template;
  // What names the source in the manifest: a rerun must name the same.
  // Empty: the URL template (without credentials).
  std::string source;
  int pages = 14;
  int page_size = 100;
  int batch = 2;
  Shard shard;
  std::string out_dir = ".";
  // Lesson 3: transfers open at once, and per host.
  int max_in_flight = 64;
  int max_per_host = 64;
  CsvToXmlOptions csv;
  int gzip_level = 6;
  // fsync each parked XML file before renaming it into place.
  bool fsync_xml = true;
  // Archives written at once.
  int tar_threads = 2;
  // How long the recorder gathers written archives into one group commit
  // (one directory fsync and one journal append for them all): an archive is
  // in the journal, and its pages' memory free, at most this much later.
  // Zero: each round records what has arrived. The window ends when the last
  // archive is written, so a run never waits for it.
  absl::Duration group_commit_window = absl::Milliseconds(20);
  // Bytes of page data held at once: bodies in flight, pages waiting to be
  // converted, and converted pages waiting for their slot's archive
  // (memory_budget.h). Must hold one page of
  // `DownloaderOptions::max_page_size`.
  int64_t max_memory = int64_t{512} << 20;
  // Bumped as pages move on; null: not counted.
  PipelineCounters* counters = nullptr;
  // Lines like the tutorial's prints; null: silent. Called from several
  // threads at once (fetch, convert, tar, record): it must be thread-safe.
  std::function<void(absl::string_view)> log;
  // Called after each step: "xml_converted" (a page's XML in memory),
  // "xml_parked" (an XML file written), "archive_written",
  // "manifest_written", "xml_removed" (a parked file removed once archived).
  // Tests kill the process there. Called from several threads at once: it
  // must be thread-safe.
  std::function<void(absl::string_view)> on_step;
  // When notified, no new page is fetched, transfers in flight are
  // abandoned (their pages fail as Cancelled), and the run ends as it would,
  // parking what it converted. Not owned; null: never.
  const absl::Notification* stop = nullptr;
};

struct PageFailure {
  int page;
  absl::Status status;
};

struct PipelineReport {
  int pages = 0;           // of this shard
  int pages_archived = 0;  // in archives at the end, this run's and before
  int pages_fetched = 0;   // downloaded by this run
  int pages_reused = 0;    // complete XML files a killed run left
  std::vector<std::string> archives;  // written by this run, in order
  std::vector<PageFailure> failures;  // by page
  absl::Duration elapsed;
  // The most page data held at once (never more than max_memory).
  int64_t memory_high_water = 0;
  bool ok() const { return failures.empty() && pages_archived == pages; }
};

// Checks what does not depend on the output directory: a template with a
// page placeholder, positive counts. Errors name the option.
absl::Status ValidatePipelineOptions(const PipelineOptions& options);

// The URL of `page`.
std::string PageUrl(absl::string_view url_template, int page, int page_size);

// Lessons 1 and 2: downloads `page` (`download_csv`).
absl::StatusOr<std::string> DownloadPage(Downloader& downloader,
                                         const PipelineOptions& options,
                                         int page);

// Converts one page's CSV into out_dir/data<page>.xml, atomically; returns the
// path (lesson 1's `csv_to_xml`).
absl::StatusOr<std::string> ConvertPage(absl::string_view csv, int page,
                                        const PipelineOptions& options);

// Lessons 1 and 2 write into a fresh directory: fails if `dir` holds any
// data<N>.xml or data<N>.tgz.
absl::Status CheckNoEarlierOutput(const std::string& dir);

// Lesson 3: runs (or resumes) the whole pipeline. A returned error means it
// could not start (bad options, a directory it must not touch); page-level
// failures are in the report.
absl::StatusOr<PipelineReport> RunPipeline(const PipelineOptions& options,
                                           const DownloaderOptions& download);

}  // namespace concurrency::pipeline

#endif  // CONCURRENCY_PIPELINE_PIPELINE_H_
