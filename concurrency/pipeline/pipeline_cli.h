// The command line the three pipeline binaries share (pipeline,
// download_threads, download_queue): their common flags and what those
// imply. This file is part of each binary (compiled into it as a source, not
// a library), so flag names live only in binaries.
//
// With no --url, the binaries start the demo price feed (prices.h) on an
// ephemeral 127.0.0.1 port with fresh random credentials, so that
// `bazel run //concurrency/pipeline` works offline on a fresh checkout.
// Credentials otherwise come from --user/--password, --credentials_file or
// PIPELINE_USER/PIPELINE_PASSWORD (downloader.h); they are never printed.
#ifndef CONCURRENCY_PIPELINE_PIPELINE_CLI_H_
#define CONCURRENCY_PIPELINE_PIPELINE_CLI_H_

#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "concurrency/http/server.h"
#include "concurrency/pipeline/pipeline.h"
#include "concurrency/pipeline/transfer.h"

ABSL_DECLARE_FLAG(bool, quiet);
ABSL_DECLARE_FLAG(std::string, out_dir);

namespace concurrency::pipeline {

struct PipelineSetup {
  std::unique_ptr<http::HttpServer> demo_feed;  // null with --url
  std::string banner;  // what to tell the user about the demo feed, or ""
  DownloaderOptions download;
  PipelineOptions pipeline;
};

// Parses the command line. `--help` lists the shared flags as well as the
// binary's own (abseil's default lists only the latter).
void ParsePipelineCommandLine(int argc, char** argv, absl::string_view usage);

// Reads the shared flags; starts the demo feed without --url; creates the
// output directory. Without --out_dir, output goes to a fresh
// `pipeline_out/<name>-<UTC time>` under the directory `bazel run` was
// started from (or the current one); a rerun that should resume names it.
absl::StatusOr<PipelineSetup> PipelineSetupFromFlags(absl::string_view name);

// Writes a line to stdout (the tutorial's prints), unless --quiet.
void PrintLine(absl::string_view line);

}  // namespace concurrency::pipeline

#endif  // CONCURRENCY_PIPELINE_PIPELINE_CLI_H_
