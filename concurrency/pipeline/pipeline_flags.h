// The command-line flags the three pipeline lesson binaries share
// (download_threads, download_queue, pipeline), and the setup they imply.
//
// With no --url, the binaries start the demo price feed (prices.h) on an
// ephemeral 127.0.0.1 port with fresh random credentials, so that
// `bazel run //concurrency/pipeline` works offline on a fresh checkout.
// Credentials otherwise come from --user/--password, --credentials_file or
// PIPELINE_USER/PIPELINE_PASSWORD (downloader.h); they are never printed.
#ifndef CONCURRENCY_PIPELINE_FLAGS_H_
#define CONCURRENCY_PIPELINE_FLAGS_H_

#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "concurrency/http/server.h"
#include "concurrency/pipeline/downloader.h"
#include "concurrency/pipeline/pipeline.h"

ABSL_DECLARE_FLAG(std::string, url);
ABSL_DECLARE_FLAG(int, pages);
ABSL_DECLARE_FLAG(int, page_size);
ABSL_DECLARE_FLAG(int, batch);
ABSL_DECLARE_FLAG(std::string, out_dir);
ABSL_DECLARE_FLAG(int, download_threads);
ABSL_DECLARE_FLAG(int, retries);
ABSL_DECLARE_FLAG(absl::Duration, timeout);
ABSL_DECLARE_FLAG(absl::Duration, connect_timeout);
ABSL_DECLARE_FLAG(std::string, user);
ABSL_DECLARE_FLAG(std::string, password);
ABSL_DECLARE_FLAG(std::string, credentials_file);
ABSL_DECLARE_FLAG(std::string, ragged);
ABSL_DECLARE_FLAG(int, gzip_level);
ABSL_DECLARE_FLAG(int, tar_threads);
ABSL_DECLARE_FLAG(bool, fsync_xml);
ABSL_DECLARE_FLAG(absl::Duration, demo_delay);
ABSL_DECLARE_FLAG(bool, quiet);

namespace concurrency::pipeline {

struct PipelineSetup {
  std::unique_ptr<http::HttpServer> demo_feed;  // null with --url
  DownloaderOptions download;
  PipelineOptions pipeline;
};

// Parses the command line. `--help` lists the flags of this file as well as
// the binary's own (abseil's default lists only the latter).
void ParsePipelineCommandLine(int argc, char** argv, absl::string_view usage);

// Reads the flags; creates the output directory. Without --out_dir, output
// goes to a fresh `pipeline_out/<lesson>-<UTC time>` under the directory
// `bazel run` was started from (or the current one).
absl::StatusOr<PipelineSetup> PipelineSetupFromFlags(absl::string_view lesson);

}  // namespace concurrency::pipeline

#endif  // CONCURRENCY_PIPELINE_FLAGS_H_
