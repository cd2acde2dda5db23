#include "concurrency/pipeline/pipeline.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <map>
#include <optional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "concurrency/blocking_queue.h"
#include "concurrency/event.h"
#include "concurrency/io/atomic_file.h"
#include "concurrency/io/file_util.h"
#include "concurrency/io/posix_error.h"
#include "concurrency/pipeline/tar_gz.h"
#include "concurrency/thread_pool.h"

namespace concurrency::pipeline {
namespace {

// Whether `name` is one of the names this pipeline writes: data<N>.xml or
// data<N>.tgz.
bool IsOurOutputName(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, "data")) return false;
  if (!absl::ConsumeSuffix(&name, ".xml") &&
      !absl::ConsumeSuffix(&name, ".tgz")) {
    return false;
  }
  return !name.empty() &&
         std::all_of(name.begin(), name.end(), absl::ascii_isdigit);
}

void Log(const PipelineOptions& o, absl::string_view line) {
  if (o.log) o.log(line);
}

void Step(const PipelineOptions& o, absl::string_view step) {
  if (o.on_step) o.on_step(step);
}

struct PageResult {
  int page;
  absl::StatusOr<std::string> csv;
};

// The converter -> tar thread hand-off: what the convert event announces,
// and how many announced batches are not archived yet.
struct Handoff {
  absl::Mutex mu;
  std::deque<std::vector<int>> batches ABSL_GUARDED_BY(mu);
  int in_flight ABSL_GUARDED_BY(mu) = 0;
  bool done ABSL_GUARDED_BY(mu) = false;
};

class Pipeline {
 public:
  Pipeline(Downloader& downloader, const PipelineOptions& options)
      : downloader_(downloader),
        options_(options),
        queue_(static_cast<size_t>(std::max(2, 2 * options.download_threads))) {
  }

  PipelineReport Run() {
    absl::Time start = absl::Now();
    std::thread convert_thread([this] { ConvertLoop(); });
    std::thread tar_thread([this] { TarLoop(); });
    {
      ThreadPool downloaders(options_.download_threads, "download");
      for (int page = 1; page <= options_.pages; ++page) {
        absl::StatusOr<std::future<void>> f =
            downloaders.Submit([this, page] { DownloadOne(page); });
        if (!f.ok()) Fail(page, f.status());
      }
      downloaders.Shutdown(/*wait=*/true);
    }
    queue_.Close();  // no more pages: the converter drains, then ends
    convert_thread.join();
    tar_thread.join();
    absl::MutexLock l(&mu_);
    report_.elapsed = absl::Now() - start;
    // Archives finish in any order on the tar workers; report them by name.
    std::sort(report_.archives.begin(), report_.archives.end(),
              [](const std::string& a, const std::string& b) {
                return a.size() != b.size() ? a.size() < b.size() : a < b;
              });
    std::sort(report_.failures.begin(), report_.failures.end(),
              [](const PageFailure& a, const PageFailure& b) {
                return a.page < b.page;
              });
    return report_;
  }

 private:
  void Fail(int page, absl::Status status) {
    Log(options_,
        absl::StrFormat("page %d failed: %s", page, status.ToString()));
    absl::MutexLock l(&mu_);
    report_.failures.push_back({page, std::move(status)});
  }

  void DownloadOne(int page) {
    PageResult r{page, DownloadPage(downloader_, options_, page)};
    // The queue is closed only after every download ends, so Push succeeds.
    (void)queue_.Push(std::move(r));
  }

  void ConvertLoop() {
    std::map<int, bool> resolved;  // pages done, out of order: converted?
    int next = 1;
    std::vector<int> batch;
    while (std::optional<PageResult> r = queue_.Pop()) {
      bool converted = false;
      if (!r->csv.ok()) {
        Fail(r->page, r->csv.status());
      } else if (absl::StatusOr<std::string> xml =
                     ConvertPage(*r->csv, r->page, options_);
                 !xml.ok()) {
        Fail(r->page, xml.status());
      } else {
        converted = true;
        Step(options_, "xml_written");
      }
      resolved[r->page] = converted;
      // Batches follow page order: take every page resolved in sequence.
      for (auto it = resolved.find(next); it != resolved.end();
           it = resolved.find(next)) {
        if (it->second) batch.push_back(next);
        resolved.erase(it);
        ++next;
        if (static_cast<int>(batch.size()) == options_.batch) {
          HandToTar(std::move(batch));
          batch.clear();
        }
      }
    }
    if (!batch.empty()) HandToTar(std::move(batch));  // the last, partial one
    {
      absl::MutexLock l(&handoff_.mu);
      handoff_.done = true;
    }
    convert_event_.Set();
  }

  // The tutorial's handshake, with slack: announce a batch with the convert
  // event and go on converting; wait for a tar event only while
  // `tar_threads` batches are already being archived. (The tutorial waited
  // for every batch at once, so the converter idled while the tar thread
  // worked.)
  void HandToTar(std::vector<int> pages) {
    while (true) {
      {
        absl::MutexLock l(&handoff_.mu);
        if (handoff_.in_flight < std::max(1, options_.tar_threads)) {
          handoff_.batches.push_back(std::move(pages));
          ++handoff_.in_flight;
          break;
        }
      }
      tar_event_.Wait();
      tar_event_.Clear();
    }
    convert_event_.Set();
  }

  // The TarThread: waits for the convert event, gives each announced batch a
  // number (data1.tgz, data2.tgz... in page order) and archives it on one of
  // `tar_threads` workers; each finished archive raises the tar event.
  void TarLoop() {
    ThreadPool workers(std::max(1, options_.tar_threads), "tar");
    int count = 0;
    while (true) {
      convert_event_.Wait();
      convert_event_.Clear();
      std::deque<std::vector<int>> batches;
      bool done;
      {
        absl::MutexLock l(&handoff_.mu);
        batches.swap(handoff_.batches);
        done = handoff_.done;
      }
      for (std::vector<int>& pages : batches) {
        const int k = ++count;
        auto job = [this, k, pages = std::move(pages)] {
          TarBatch(k, pages);
          {
            absl::MutexLock l(&handoff_.mu);
            --handoff_.in_flight;
          }
          tar_event_.Set();
        };
        if (absl::StatusOr<std::future<void>> f =
                workers.Submit(std::move(job));
            !f.ok()) {
          Log(options_, f.status().ToString());
        }
      }
      if (done) break;
    }
    workers.Shutdown(/*wait=*/true);
  }

  void TarBatch(int k, const std::vector<int>& pages) {
    std::string path = absl::StrCat(options_.out_dir, "/", ArchiveFileName(k));
    std::vector<std::string> names;
    for (int p : pages) names.push_back(XmlFileName(p));
    Log(options_, absl::StrFormat("tar %s (%s)", ArchiveFileName(k),
                                  absl::StrJoin(names, " ")));
    absl::Status s = [&]() -> absl::Status {
      absl::StatusOr<std::unique_ptr<TarGzWriter>> tar =
          TarGzWriter::Create(path, {.level = options_.gzip_level});
      if (!tar.ok()) return tar.status();
      for (const std::string& name : names) {
        absl::Status added =
            (*tar)->AddFile(absl::StrCat(options_.out_dir, "/", name), name);
        if (!added.ok()) return added;
      }
      return (*tar)->Commit();
    }();
    if (!s.ok()) {
      for (int p : pages) {
        Fail(p, absl::Status(s.code(),
                             absl::StrCat(s.message(), " (page ", p,
                                          " stays in ", XmlFileName(p), ")")));
      }
      return;
    }
    Step(options_, "archive_written");
    // The archive is durable: now, and only now, its XML files may go.
    for (const std::string& name : names) {
      std::string xml = absl::StrCat(options_.out_dir, "/", name);
      if (unlink(xml.c_str()) != 0) {
        Log(options_,
            absl::StrFormat("could not remove %s (it is archived in "
                            "%s): %s",
                            xml, path,
                            io::PosixError("unlink", errno).message()));
      }
      Step(options_, "xml_removed");
    }
    absl::MutexLock l(&mu_);
    report_.archives.push_back(path);
    report_.pages_archived += static_cast<int>(pages.size());
  }

  Downloader& downloader_;
  const PipelineOptions& options_;
  BlockingQueue<PageResult> queue_;
  Event convert_event_;
  Event tar_event_;
  Handoff handoff_;
  absl::Mutex mu_;
  PipelineReport report_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::string XmlFileName(int page) { return absl::StrCat("data", page, ".xml"); }
std::string ArchiveFileName(int k) { return absl::StrCat("data", k, ".tgz"); }

std::string PageUrl(absl::string_view url_template, int page, int page_size) {
  return absl::StrReplaceAll(url_template,
                             {{"{page}", absl::StrCat(page)},
                              {"%s", absl::StrCat(page)},
                              {"{page_size}", absl::StrCat(page_size)}});
}

absl::Status ValidatePipelineOptions(const PipelineOptions& o) {
  if (!absl::StrContains(o.url_template, "{page}") &&
      !absl::StrContains(o.url_template, "%s")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--url \"", RedactUrl(o.url_template),
        "\" has no page placeholder: put {page} (or %s) where the page number "
        "goes"));
  }
  if (o.pages < 0) return absl::InvalidArgumentError("--pages must be >= 0");
  if (o.page_size < 1)
    return absl::InvalidArgumentError("--page_size must be >= 1");
  if (o.batch < 1) return absl::InvalidArgumentError("--batch must be >= 1");
  if (o.download_threads < 1) {
    return absl::InvalidArgumentError("--download_threads must be >= 1");
  }
  if (o.tar_threads < 1) {
    return absl::InvalidArgumentError("--tar_threads must be >= 1");
  }
  if (o.gzip_level < 0 || o.gzip_level > 9) {
    return absl::InvalidArgumentError("--gzip_level must be in [0, 9]");
  }
  DIR* d = opendir(o.out_dir.c_str());
  if (d == nullptr) {
    return io::PosixError(absl::StrCat("--out_dir ", o.out_dir), errno);
  }
  std::string earlier;
  while (dirent* e = readdir(d)) {
    if (IsOurOutputName(e->d_name)) {
      earlier = e->d_name;
      break;
    }
  }
  closedir(d);
  if (!earlier.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--out_dir ", o.out_dir, " already holds ", earlier,
        " from an earlier run; move it away or choose another --out_dir "
        "(the pipeline never overwrites output)"));
  }
  if (access(o.out_dir.c_str(), W_OK) != 0) {
    return io::PosixError(absl::StrCat("--out_dir ", o.out_dir), errno);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> DownloadPage(Downloader& downloader,
                                         const PipelineOptions& options,
                                         int page) {
  Log(options, absl::StrFormat("download csv data [page=%d]", page));
  return downloader.Fetch(
      PageUrl(options.url_template, page, options.page_size));
}

absl::StatusOr<std::string> ConvertPage(absl::string_view csv, int page,
                                        const PipelineOptions& options) {
  std::string path = absl::StrCat(options.out_dir, "/", XmlFileName(page));
  Log(options, absl::StrFormat("Convert csv data to %s", XmlFileName(page)));
  absl::StatusOr<std::unique_ptr<io::AtomicFile>> file =
      io::AtomicFile::Create(path, io::AtomicFile::Mode::kNoReplace,
                             options.fsync_xml ? io::AtomicFile::Sync::kFile
                                               : io::AtomicFile::Sync::kNone);
  if (!file.ok()) return file.status();
  io::AtomicFile* f = file->get();
  CsvToXmlConverter converter(
      absl::StrCat("page ", page),
      [f](absl::string_view bytes) { return f->Append(bytes); }, options.csv);
  if (absl::Status s = converter.Feed(csv); !s.ok()) return s;
  if (absl::Status s = converter.Finish(); !s.ok()) return s;
  if (absl::Status s = f->Commit(); !s.ok()) return s;
  return path;
}

absl::StatusOr<PipelineReport> RunPipeline(Downloader& downloader,
                                           const PipelineOptions& options) {
  if (absl::Status s = ValidatePipelineOptions(options); !s.ok()) return s;
  Pipeline pipeline(downloader, options);
  return pipeline.Run();
}

}  // namespace concurrency::pipeline
