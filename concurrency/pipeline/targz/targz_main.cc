// targz: the pipeline's archiver on its own, as `tar czf` is used:
//
//   bazel run -c opt //concurrency/pipeline:targz -- out.tgz a.xml dir/ ...
//
// Files are stored under the paths given (a leading '/' dropped, as tar
// does); a directory adds its regular files, recursively, in name order.
// The archive is written crash-safely (it appears under its name only
// complete and durable) with its blocks compressed on --threads threads, and
// an existing OUT is left alone unless --replace.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "concurrency/io/file_util.h"
#include "concurrency/io/posix_error.h"
#include "concurrency/pipeline/targz/tar_gz.h"

ABSL_FLAG(int, level, 6,
          "Compression level: libdeflate's 0 (stored) to 12 (smallest); 6 is "
          "gzip's default.");
ABSL_FLAG(int, threads, 0, "Compressing threads (0: one per CPU).");
ABSL_FLAG(bool, replace, false, "Replace OUT if it exists.");

namespace {

using concurrency::pipeline::TarGzWriter;

// Adds `path` (a file, or a directory's files) to `w`.
absl::Status Add(TarGzWriter& w, const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return concurrency::io::PosixError(absl::StrCat("stat ", path), errno);
  }
  if (S_ISREG(st.st_mode)) {
    absl::string_view name = path;
    while (absl::ConsumePrefix(&name, "/")) {
    }
    return w.AddFile(path, name);
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a regular file or a directory"));
  }
  absl::StatusOr<std::vector<std::string>> names =
      concurrency::io::ListDirectory(path);
  if (!names.ok()) return names.status();
  std::sort(names->begin(), names->end());
  const std::string dir(absl::StripSuffix(path, "/"));
  for (const std::string& name : *names) {
    if (absl::Status s = Add(w, absl::StrCat(dir, "/", name)); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Writes OUT.tgz holding the FILEs (and directories' files), as "
      "`tar czf OUT.tgz FILE...` does, compressed on every core.\n"
      "Usage: targz [--level=N] [--threads=N] [--replace] OUT.tgz FILE...");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 3) {
    std::fprintf(stderr, "targz: usage: targz [flags] OUT.tgz FILE...\n");
    return 2;
  }
  absl::StatusOr<std::unique_ptr<TarGzWriter>> w = TarGzWriter::Create(
      args[1], {.level = absl::GetFlag(FLAGS_level),
                .mode = absl::GetFlag(FLAGS_replace)
                            ? concurrency::io::AtomicFile::Mode::kReplace
                            : concurrency::io::AtomicFile::Mode::kNoReplace,
                .threads = absl::GetFlag(FLAGS_threads)});
  absl::Status status = w.status();
  for (size_t i = 2; status.ok() && i < args.size(); ++i) {
    status = Add(**w, args[i]);
  }
  if (status.ok()) status = (*w)->Commit();
  if (status.ok() && !(*w)->written()) {
    status =
        absl::InvalidArgumentError("no files to archive: no archive written");
  }
  if (!status.ok()) {
    std::fprintf(stderr, "targz: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
