// Lesson 3 and the main job: a fetch thread (many downloads in flight) ->
// queue -> convert thread -> (each full slot of --batch pages) queue -> tar
// threads -> queue -> manifest recorder. See pipeline.h for what it fixes in
// the tutorial's version.
//
//   bazel run //concurrency/pipeline
//   bazel run //concurrency/pipeline -- --pages=20 --out_dir=/tmp/prices
//       --url='https://host/prices.csv?page_number={page}'
//       --credentials_file=$HOME/.prices
//
// Killed or cut short, the same command with the same --out_dir finishes
// the job. Ctrl-C (SIGINT) or SIGTERM stops it cleanly: no new page is
// fetched, and converted pages that wait for their slot are parked as
// data<page>.xml for the rerun; a second signal ends it at once.
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "concurrency/keep_freed_memory.h"
#include "concurrency/pipeline/check.h"
#include "concurrency/pipeline/pipeline.h"
#include "concurrency/pipeline/pipeline_cli.h"
#include "concurrency/pipeline/progress.h"
#include "concurrency/pipeline/shard_spec.h"

ABSL_FLAG(int, max_in_flight, 64, "Downloads open at once.");
ABSL_FLAG(int, max_per_host, 64, "Connections open at once to one host.");
ABSL_FLAG(int, tar_threads, 2, "Archives written at once.");
ABSL_FLAG(absl::Duration, group_commit_window, absl::Milliseconds(20),
          "How long written archives are gathered into one group commit (one "
          "directory fsync and one journal append for them all); longer "
          "suits a file system where fsync is slow (NFS).");
ABSL_FLAG(int, gzip_level, 6,
          "gzip level of the archives: libdeflate's 0 (stored) to 12 "
          "(smallest); 6 is gzip's default.");
ABSL_FLAG(bool, fsync_xml, true,
          "fsync each parked XML file (a page kept for a rerun) before it "
          "takes its name. Off: still safe against a killed process; on power "
          "loss a parked page's XML may be partial. Archives and the manifest "
          "are always fsynced.");
ABSL_FLAG(std::string, shard, "0/1",
          "Run only shard I of N of the pages ('I/N', I from 0), or 'auto': "
          "the Slurm job array task (SLURM_ARRAY_TASK_ID, _MIN, _COUNT) or "
          "the Kubernetes completion index (JOB_COMPLETION_INDEX, of "
          "--shards). Shards may share one --out_dir.");
ABSL_FLAG(int, shards, 0,
          "With --shard=auto on Kubernetes: the number of shards (the Job's "
          "completions).");
ABSL_FLAG(bool, check, false,
          "Do not run: check --out_dir across all its shards (every page in "
          "exactly one archive, every archive as recorded) and say what is "
          "missing. Exit status 0 if all is there, 1 if not.");
ABSL_FLAG(std::string, progress, "auto",
          "Progress on stderr: 'bar' (one line redrawn in place), 'lines' (a "
          "line every few seconds and at each archive), 'none', or 'auto' "
          "(bar on a terminal, else lines). --quiet means none.");

namespace {

namespace pipeline = ::concurrency::pipeline;

absl::StatusOr<pipeline::ProgressDisplay::Mode> ProgressMode() {
  std::string mode = absl::GetFlag(FLAGS_progress);
  if (absl::GetFlag(FLAGS_quiet) || mode == "none") {
    return pipeline::ProgressDisplay::Mode::kNone;
  }
  if (mode == "auto") mode = isatty(STDERR_FILENO) ? "bar" : "lines";
  if (mode == "bar") return pipeline::ProgressDisplay::Mode::kBar;
  if (mode == "lines") return pipeline::ProgressDisplay::Mode::kLines;
  return absl::InvalidArgumentError(
      absl::StrCat("--progress=", mode, ": expected auto, bar, lines or none"));
}

void PrintSummary(const pipeline::PipelineReport& r,
                  const pipeline::PipelineOptions& o) {
  pipeline::PrintLine(absl::StrFormat(
      "archived %d of %d pages (%d fetched, %d reused from an earlier run) "
      "into %d new archives in %s (%s)",
      r.pages_archived, r.pages, r.pages_fetched, r.pages_reused,
      r.archives.size(), o.out_dir, absl::FormatDuration(r.elapsed)));
  for (const pipeline::PageFailure& f : r.failures) {
    std::fprintf(stderr, "page %d: %s\n", f.page, f.status.ToString().c_str());
  }
  if (!r.ok()) {
    std::fprintf(stderr,
                 "%d pages are not archived yet: rerun the same command with "
                 "--out_dir=%s to finish\n",
                 r.pages - r.pages_archived, o.out_dir.c_str());
  }
}

// --check: the directory across all shards.
int CheckMain() {
  const std::string dir = absl::GetFlag(FLAGS_out_dir);
  if (dir.empty()) {
    std::fprintf(stderr, "pipeline: --check needs --out_dir\n");
    return 2;
  }
  absl::StatusOr<pipeline::CheckReport> report = pipeline::CheckOutDir(dir);
  if (!report.ok()) {
    std::fprintf(stderr, "pipeline: %s\n", report.status().ToString().c_str());
    return 2;
  }
  pipeline::PrintLine(pipeline::DescribeCheck(*report));
  return report->ok() ? 0 : 1;
}

absl::StatusOr<pipeline::Shard> ShardFromFlags() {
  absl::StatusOr<pipeline::Shard> shard = pipeline::ParseShardSpec(
      absl::GetFlag(FLAGS_shard), absl::GetFlag(FLAGS_shards), getenv);
  if (!shard.ok()) {
    return absl::Status(shard.status().code(),
                        absl::StrCat("--shard=", absl::GetFlag(FLAGS_shard),
                                     ": ", shard.status().message()));
  }
  return shard;
}

// Turns the first SIGINT or SIGTERM into `stop`; the second ends the
// process. The signals are blocked in every thread (the mask is set before
// any thread starts) and taken here with sigwait; the destructor wakes the
// thread with one of them, after marking the end.
class StopOnSignal {
 public:
  explicit StopOnSignal(absl::Notification* stop) : stop_(stop) {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
  }
  void Start() {
    thread_ = std::thread([this] {
      int sig = 0;
      while (sigwait(&signals_, &sig) == 0 && !done_) {
        if (stop_->HasBeenNotified()) _exit(128 + sig);
        std::fprintf(stderr,
                     "pipeline: signal %d: stopping; converted pages are "
                     "kept for the rerun (again to quit at once)\n",
                     sig);
        stop_->Notify();
      }
    });
  }
  // Wakes the thread with a signal of its set, marked as the end.
  ~StopOnSignal() {
    if (!thread_.joinable()) return;
    done_ = true;
    pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
  }

 private:
  absl::Notification* const stop_;
  sigset_t signals_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  concurrency::KeepFreedMemory();  // keep_freed_memory.h: measured there
  absl::Notification stop;
  StopOnSignal signals(&stop);  // before any thread starts
  pipeline::ParsePipelineCommandLine(
      argc, argv,
      "Downloads CSV pages, converts each to XML and packs every --batch "
      "pages into a .tgz (the tutorial's DownloadThread/ConvertThread/"
      "TarThread pipeline); resumes an earlier run in the same --out_dir.");
  if (absl::GetFlag(FLAGS_check)) return CheckMain();
  absl::StatusOr<pipeline::ProgressDisplay::Mode> mode = ProgressMode();
  absl::StatusOr<pipeline::Shard> shard = ShardFromFlags();
  absl::StatusOr<pipeline::PipelineSetup> setup =
      !mode.ok()    ? absl::StatusOr<pipeline::PipelineSetup>(mode.status())
      : !shard.ok() ? absl::StatusOr<pipeline::PipelineSetup>(shard.status())
                    : pipeline::PipelineSetupFromFlags("pipeline");
  if (!setup.ok()) {
    std::fprintf(stderr, "pipeline: %s\n", setup.status().ToString().c_str());
    return 2;
  }
  if (!setup->banner.empty() && !absl::GetFlag(FLAGS_quiet)) {
    pipeline::PrintLine(setup->banner);
  }
  pipeline::PipelineOptions& options = setup->pipeline;
  options.shard = *shard;
  options.max_in_flight = absl::GetFlag(FLAGS_max_in_flight);
  options.max_per_host = absl::GetFlag(FLAGS_max_per_host);
  options.tar_threads = absl::GetFlag(FLAGS_tar_threads);
  options.group_commit_window = absl::GetFlag(FLAGS_group_commit_window);
  options.gzip_level = absl::GetFlag(FLAGS_gzip_level);
  options.fsync_xml = absl::GetFlag(FLAGS_fsync_xml);
  pipeline::PipelineCounters counters;
  options.counters = &counters;
  // With a bar on the terminal, the per-page lines would scroll it away.
  if (*mode == pipeline::ProgressDisplay::Mode::kBar) {
    options.log = nullptr;
    setup->download.log = nullptr;
  }
  options.stop = &stop;
  signals.Start();
  pipeline::ProgressDisplay display(counters, *mode, STDERR_FILENO);
  display.Start();
  absl::StatusOr<pipeline::PipelineReport> report =
      pipeline::RunPipeline(options, setup->download);
  display.Stop();
  if (!report.ok()) {
    std::fprintf(stderr, "pipeline: %s\n", report.status().ToString().c_str());
    return 2;
  }
  PrintSummary(*report, options);
  pipeline::PrintLine("main thread end.");
  return report->ok() ? 0 : 1;
}
