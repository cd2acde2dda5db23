#include "concurrency/pipeline/pipeline.h"

#include <algorithm>
#include <cerrno>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "concurrency/blocking_queue.h"
#include "concurrency/io/atomic_file.h"
#include "concurrency/io/file_util.h"
#include "concurrency/io/posix_error.h"
#include "concurrency/pipeline/manifest.h"
#include "concurrency/pipeline/memory_budget.h"
#include "concurrency/pipeline/multi_fetcher.h"
#include "concurrency/pipeline/resume.h"
#include "concurrency/pipeline/targz/tar_gz.h"
#include "concurrency/thread_pool.h"

namespace concurrency::pipeline {
namespace {

// Pages fetched but not yet converted, at most: bounds memory whatever the
// number of pages.
constexpr size_t kQueuePages = 64;
// Archives written and not yet recorded, each holding its descriptor: when
// the recorder falls this far behind, the tar threads wait for it.
constexpr size_t kWrittenArchives = 64;

void Log(const PipelineOptions& o, absl::string_view line) {
  if (o.log) o.log(line);
}

void Step(const PipelineOptions& o, absl::string_view step) {
  if (o.on_step) o.on_step(step);
}

void Bump(std::atomic<int64_t> PipelineCounters::*field,
          const PipelineOptions& o, int64_t n = 1) {
  if (o.counters != nullptr) (o.counters->*field).fetch_add(n);
}

std::string Path(const PipelineOptions& o, absl::string_view name) {
  return absl::StrCat(o.out_dir, "/", name);
}

// Page `page`'s CSV as the tutorial's XML, in memory.
absl::StatusOr<std::string> PageXml(absl::string_view csv, int page,
                                    const CsvToXmlOptions& csv_options) {
  // A price page's XML is about 3.9x its CSV: one allocation, where growing
  // by doubling copied it about twice and left up to half of it unused.
  std::string xml;
  xml.reserve(4 * csv.size() + 64);
  CsvToXmlConverter converter(
      absl::StrCat("page ", page),
      [&xml](absl::string_view bytes) {
        xml.append(bytes);
        return absl::OkStatus();
      },
      csv_options);
  if (absl::Status s = converter.Feed(csv); !s.ok()) return s;
  if (absl::Status s = converter.Finish(); !s.ok()) return s;
  return xml;
}

// Writes `xml` as out_dir/data<page>.xml, atomically (fsynced unless
// --nofsync_xml).
absl::Status WritePageXml(const PipelineOptions& o, int page,
                          absl::string_view xml, io::AtomicFile::Mode mode) {
  absl::StatusOr<std::unique_ptr<io::AtomicFile>> file = io::AtomicFile::Create(
      Path(o, XmlFileName(page)), mode,
      o.fsync_xml ? io::AtomicFile::Sync::kFile : io::AtomicFile::Sync::kNone);
  if (!file.ok()) return file.status();
  if (absl::Status s = (*file)->Append(xml); !s.ok()) return s;
  return (*file)->Commit();
}

struct PageResult {
  int page;
  absl::StatusOr<std::string> csv;
  MemoryBudget::Grant grant;  // csv's bytes, given back when converted
};

// A page's XML held in memory until its archive is durable; its bytes
// count in the memory budget until then.
struct Converted {
  std::string xml;
  MemoryBudget::Grant grant;
};
// A slot's pages that are in memory (the others are data<page>.xml files:
// left by an earlier run, or parked when the budget was full).
using SlotPages = std::map<int, Converted>;

// A full slot, on its way to a tar thread.
struct SlotWork {
  int slot;
  SlotPages in_memory;
};

// An archive written under its final name, waiting for the recorder to make
// it durable and name it in the journal. Its pages' memory goes back when it
// is recorded.
struct Written {
  int slot;
  ArchiveRecord record;
  SlotPages in_memory;
  std::unique_ptr<TarGzWriter> tar;  // committed; SyncLater() not yet called
};

class Pipeline {
 public:
  Pipeline(const PipelineOptions& options, const DownloaderOptions& download,
           OutDirState state)
      : options_(options),
        budget_(options.max_memory),
        download_(WithBudget(download, &budget_)),
        layout_(options.pages, options.batch, options.shard),
        state_(std::move(state)),
        queue_(kQueuePages),
        slots_(static_cast<size_t>(std::max(1, options.tar_threads))),
        written_(kWrittenArchives) {}

  PipelineReport Run() {
    const absl::Time start = absl::Now();
    std::vector<int> to_fetch = Plan();
    std::thread convert_thread([this] { ConvertLoop(); });
    ThreadPool tar_threads(std::max(1, options_.tar_threads), "tar");
    for (int i = 0; i < std::max(1, options_.tar_threads); ++i) {
      if (absl::Status s = tar_threads.Schedule([this] { TarLoop(); });
          !s.ok()) {
        Log(options_, s.ToString());
      }
    }
    std::thread record_thread([this] { RecordLoop(); });
    FetchAll(to_fetch);
    queue_.Close();  // no more pages: the converter drains, then ends
    convert_thread.join();
    tar_threads.Shutdown(/*wait=*/true);
    tar_done_.Notify();
    written_.Close();
    record_thread.join();
    ParkIncompleteSlots();
    Compact();
    absl::MutexLock l(&mu_);
    report_.elapsed = absl::Now() - start;
    report_.memory_high_water = budget_.high_water();
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
  // What is left: counts each slot's missing pages; returns the pages to
  // fetch, in order.
  std::vector<int> Plan() {
    std::vector<int> to_fetch;
    const Range slots = layout_.shard_slots();
    absl::MutexLock l(&mu_);
    report_.pages = layout_.shard_pages().size();
    for (int k = slots.first; k <= slots.last; ++k) {
      const Range pages = layout_.SlotPages(k);
      if (state_.manifest.archives.contains(k)) {
        report_.pages_archived += pages.size();
        continue;
      }
      missing_[k] = 0;
      for (int p = pages.first; p <= pages.last; ++p) {
        if (state_.xml_pages.contains(p)) {
          ++report_.pages_reused;
        } else {
          ++missing_[k];
          to_fetch.push_back(p);
        }
      }
    }
    if (options_.counters != nullptr) {
      options_.counters->total = report_.pages;
      options_.counters->archived = report_.pages_archived;
    }
    return to_fetch;
  }

  void Fail(int page, absl::Status status) {
    Log(options_,
        absl::StrFormat("page %d failed: %s", page, status.ToString()));
    Bump(&PipelineCounters::failed, options_);
    absl::MutexLock l(&mu_);
    report_.failures.push_back({page, std::move(status)});
  }

  // The fetch thread's work, on this thread: every page through one
  // MultiFetcher, each result into the queue (blocking while it is full).
  void FetchAll(const std::vector<int>& pages) {
    std::vector<std::string> urls;
    for (int p : pages) {
      urls.push_back(PageUrl(options_.url_template, p, options_.page_size));
    }
    const absl::Notification* stop = options_.stop;
    MultiFetcher fetcher(
        {download_, options_.max_in_flight, options_.max_per_host,
         [stop] { return stop != nullptr && stop->HasBeenNotified(); }});
    std::vector<bool> delivered(pages.size(), false);
    absl::Status s =
        fetcher.Run(urls, [&](size_t i, absl::StatusOr<std::string> body,
                              MemoryBudget::Grant grant) {
          delivered[i] = true;
          if (body.ok()) {
            Bump(&PipelineCounters::downloaded, options_);
            Bump(&PipelineCounters::bytes, options_,
                 static_cast<int64_t>(body->size()));
          }
          // The queue is closed only after FetchAll returns: Push succeeds.
          (void)queue_.Push(
              PageResult{pages[i], std::move(body), std::move(grant)});
        });
    if (!s.ok()) {  // the loop itself failed: every page it did not finish
      for (size_t i = 0; i < pages.size(); ++i) {
        if (!delivered[i]) Fail(pages[i], s);
      }
    }
  }

  void ConvertLoop() {
    // Slots complete from the start (their XML all left by a killed run).
    for (auto& [k, missing] : missing_) {
      if (missing == 0) HandToTar(k);
    }
    while (std::optional<PageResult> r = queue_.Pop()) {
      if (!r->csv.ok()) {
        Fail(r->page, r->csv.status());
        continue;
      }
      absl::StatusOr<std::string> xml = ConvertToMemory(*r->csv, r->page);
      std::string().swap(*r->csv);  // its memory goes back to the budget
      r->grant.Release();
      if (!xml.ok()) {
        Fail(r->page, xml.status());
        continue;
      }
      if (!Keep(r->page, *std::move(xml))) continue;
      Step(options_, "xml_converted");
      Bump(&PipelineCounters::converted, options_);
      {
        absl::MutexLock l(&mu_);
        ++report_.pages_fetched;
      }
      const int k = layout_.SlotOf(r->page);
      if (--missing_[k] == 0) HandToTar(k);
    }
    slots_.Close();  // the tar threads finish what is queued, then end
  }

  absl::StatusOr<std::string> ConvertToMemory(absl::string_view csv, int page) {
    Log(options_, absl::StrFormat("Convert csv data to %s (in memory)",
                                  XmlFileName(page)));
    return PageXml(csv, page, options_.csv);
  }

  // Keeps page `page`'s XML in memory for its slot if the budget has room,
  // or else parks it as data<page>.xml; false (the page failed) if it could
  // be neither.
  bool Keep(int page, std::string xml) {
    const int k = layout_.SlotOf(page);
    if (budget_.TryTake(static_cast<int64_t>(xml.size()))) {
      const int64_t n = static_cast<int64_t>(xml.size());
      waiting_[k][page] = Converted{std::move(xml), budget_.GrantOf(n)};
      return true;
    }
    if (absl::Status s = Park(page, xml); !s.ok()) {
      Fail(page, s);
      return false;
    }
    return true;
  }

  // Writes page `page`'s XML as data<page>.xml (the resume format).
  absl::Status Park(int page, absl::string_view xml) {
    absl::Status s =
        WritePageXml(options_, page, xml, io::AtomicFile::Mode::kReplace);
    if (s.ok()) Step(options_, "xml_parked");
    return s;
  }

  // Once at the end of a run: the journal rewritten, archives in order.
  void Compact() {
    absl::Status s = WriteManifest(options_.out_dir, layout_.ManifestName(),
                                   state_.manifest);
    if (!s.ok())
      Log(options_, absl::StrCat("compacting the manifest: ", s.ToString()));
  }

  // At the end of a run: the pages in memory whose slot could not complete
  // (a partner failed, or the run was stopped) are parked as data<page>.xml,
  // so a rerun archives them without fetching them again.
  void ParkIncompleteSlots() {
    if (waiting_.empty()) return;  // nothing parked: no directory fsync
    for (auto& [k, pages] : waiting_) {
      for (auto& [page, c] : pages) {
        if (absl::Status s = Park(page, c.xml); !s.ok()) Fail(page, s);
      }
    }
    waiting_.clear();
    if (absl::Status s = io::SyncDir(options_.out_dir); !s.ok()) {
      Log(options_, s.ToString());
    }
  }

  // A full slot goes to the tar threads through a queue of `tar_threads`
  // places (the tutorial's convert event, with slack): the converter goes on
  // converting, and waits only while that many slots already wait. The tar
  // threads take slots straight from it (the tutorial's tar event is the
  // place a slot leaves behind).
  void HandToTar(int slot) {
    SlotPages in_memory;
    if (auto it = waiting_.find(slot); it != waiting_.end()) {
      in_memory = std::move(it->second);
      waiting_.erase(it);
    }
    (void)slots_.Push(SlotWork{slot, std::move(in_memory)});
  }

  // Each of the `tar_threads` TarThreads: archives slots until the
  // converter is done. They keep their compressors between archives (made
  // per archive, zeroed anew each time, they were 2x the CPU).
  void TarLoop() {
    while (std::optional<SlotWork> work = slots_.Pop()) {
      TarSlot(work->slot, std::move(work->in_memory));
    }
  }

  // The archive, committed under its final name with its fsync left to the
  // recorder (Sync::kLater): a tar thread never waits for the disk. Its size
  // and CRC-32 come from the writer, as it wrote them. On success the pages
  // move into the result; on failure they stay in `in_memory`.
  absl::StatusOr<Written> WriteArchive(int k, const Range& pages,
                                       SlotPages& in_memory) {
    // One thread per archive: --tar_threads archives are written at once.
    absl::StatusOr<std::unique_ptr<TarGzWriter>> tar =
        TarGzWriter::Create(Path(options_, ArchiveFileName(k)),
                            {.level = options_.gzip_level,
                             .threads = 1,
                             .sync = io::AtomicFile::Sync::kLater});
    if (!tar.ok()) return tar.status();
    const absl::Time now = absl::Now();
    for (int p = pages.first; p <= pages.last; ++p) {
      auto it = in_memory.find(p);
      absl::Status added =
          it != in_memory.end()
              ? (*tar)->AddMember(XmlFileName(p), it->second.xml, now)
              : (*tar)->AddFile(Path(options_, XmlFileName(p)), XmlFileName(p));
      if (!added.ok()) return added;
    }
    if (absl::Status s = (*tar)->Commit(); !s.ok()) return s;
    ArchiveRecord record{.pages = pages,
                         .size = (*tar)->file_size(),
                         .crc32 = (*tar)->file_crc32()};
    return Written{k, record, std::move(in_memory), *std::move(tar)};
  }

  void TarSlot(int k, SlotPages in_memory) {
    const Range pages = layout_.SlotPages(k);
    Log(options_, absl::StrFormat("tar %s (pages %d-%d)", ArchiveFileName(k),
                                  pages.first, pages.last));
    absl::StatusOr<Written> written = WriteArchive(k, pages, in_memory);
    if (!written.ok()) {
      FailArchive(pages, in_memory, written.status());
      return;
    }
    Step(options_, "archive_written");
    (void)written_.Push(*std::move(written));
  }

  // An archive that will not be recorded: its pages in memory wait, as XML
  // files, for a rerun (if they can be kept), and every page fails with
  // `status`. A file left under the archive's name is not in the journal, so
  // a rerun removes it.
  void FailArchive(const Range& pages, const SlotPages& in_memory,
                   const absl::Status& status) {
    for (int p = pages.first; p <= pages.last; ++p) {
      absl::Status kept = absl::OkStatus();
      if (auto it = in_memory.find(p); it != in_memory.end()) {
        kept = Park(p, it->second.xml);
      }
      Fail(p,
           absl::Status(
               status.code(),
               absl::StrCat(
                   status.message(), " (page ", p,
                   kept.ok()
                       ? absl::StrCat(" waits in ", XmlFileName(p), ")")
                       : absl::StrCat(" is not kept: ", kept.message(), ")"))));
    }
  }

  // The recorder: after an archive arrives, it waits out a short window
  // (`group_commit_window`) and then records every archive written by then
  // together (Record), and only then lets their pages go. Without the window
  // the groups were of about two archives at --batch=2, and their directory
  // and journal fsyncs were a quarter of the run's system CPU; waiting the
  // window out once, rather than waking for each archive, saves a thread
  // switch per archive. The window ends at once when the tar threads are
  // done, so a run never waits for it at the end; tar threads that fill
  // kWrittenArchives places wait for it.
  void RecordLoop() {
    while (std::optional<Written> w = written_.Pop()) {
      std::vector<Written> batch;
      batch.push_back(*std::move(w));
      tar_done_.WaitForNotificationWithTimeout(options_.group_commit_window);
      while (std::optional<Written> more = written_.TryPop()) {
        batch.push_back(*std::move(more));
      }
      Record(batch);
    }
  }

  // Group commit: each archive of `batch` is fsynced here, off the tar
  // threads; then one directory fsync makes their names durable, and one
  // journal append and fsync records them all.
  void Record(std::vector<Written>& batch) {
    std::vector<Written*> synced;
    for (Written& w : batch) {
      if (absl::Status s = w.tar->SyncLater(); !s.ok()) {
        FailArchive(w.record.pages, w.in_memory, s);
      } else {
        synced.push_back(&w);
      }
    }
    if (synced.empty()) return;
    std::string lines;
    for (const Written* w : synced) {
      absl::StrAppend(&lines, SerializeArchiveLine(w->slot, w->record));
    }
    absl::Status s = io::SyncDir(options_.out_dir);
    if (s.ok()) {
      s = AppendToManifest(options_.out_dir, layout_.ManifestName(), lines);
    }
    if (!s.ok()) {
      for (const Written* w : synced) {
        FailArchive(
            w->record.pages, w->in_memory,
            absl::Status(s.code(),
                         absl::StrCat("recording ", ArchiveFileName(w->slot),
                                      ": ", s.message())));
      }
      return;
    }
    for (const Written* w : synced) {
      state_.manifest.archives[w->slot] = w->record;
    }
    Step(options_, "manifest_written");
    for (const Written* w : synced) Archived(*w);
  }

  void Archived(const Written& w) {
    for (int p = w.record.pages.first; p <= w.record.pages.last; ++p) {
      if (w.in_memory.contains(p)) continue;  // never a file
      const std::string xml = Path(options_, XmlFileName(p));
      if (absl::Status s = io::RemoveFile(xml); !s.ok()) {
        Log(options_, absl::StrCat(s.message(), " (it is archived in ",
                                   ArchiveFileName(w.slot), ")"));
      }
      Step(options_, "xml_removed");
    }
    Bump(&PipelineCounters::archived, options_, w.record.pages.size());
    absl::MutexLock l(&mu_);
    report_.archives.push_back(Path(options_, ArchiveFileName(w.slot)));
    report_.pages_archived += w.record.pages.size();
  }

  static DownloaderOptions WithBudget(DownloaderOptions d,
                                      MemoryBudget* budget) {
    d.budget = budget;
    return d;
  }

  const PipelineOptions& options_;
  MemoryBudget budget_;
  const DownloaderOptions download_;
  const Layout layout_;
  OutDirState state_;           // manifest: the recorder's after Run starts
  std::map<int, int> missing_;  // slot -> pages not converted; converter's
  std::map<int, SlotPages> waiting_;  // slot -> its pages in memory; ditto
  BlockingQueue<PageResult> queue_;
  BlockingQueue<SlotWork> slots_;  // full slots, converter -> tar threads
  BlockingQueue<Written> written_;
  absl::Notification tar_done_;  // every archive of the run written
  absl::Mutex mu_;
  PipelineReport report_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

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
        "url \"", RedactUrl(o.url_template),
        "\" has no page placeholder: put {page} (or %s) where the page number "
        "goes"));
  }
  struct Bound {
    const char* name;
    int value;
    int min;
  };
  for (const Bound& b :
       {Bound{"pages", o.pages, 0}, Bound{"page_size", o.page_size, 1},
        Bound{"batch", o.batch, 1}, Bound{"max_in_flight", o.max_in_flight, 1},
        Bound{"max_per_host", o.max_per_host, 1},
        Bound{"tar_threads", o.tar_threads, 1}}) {
    if (b.value < b.min) {
      return absl::InvalidArgumentError(
          absl::StrCat(b.name, " must be >= ", b.min, ", not ", b.value));
    }
  }
  if (o.max_memory < (int64_t{1} << 20)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_memory must be at least 1 MiB, not ", o.max_memory, " bytes"));
  }
  if (o.gzip_level < 0 || o.gzip_level > 12) {
    return absl::InvalidArgumentError(
        "gzip_level must be in [0, 12] (libdeflate's levels)");
  }
  if (o.shard.count < 1 || o.shard.index < 0 ||
      o.shard.index >= o.shard.count) {
    return absl::InvalidArgumentError(absl::StrCat(
        "shard ", o.shard.index, "/", o.shard.count, " is not one of N >= 1"));
  }
  return absl::OkStatus();
}

absl::Status CheckNoEarlierOutput(const std::string& dir) {
  absl::StatusOr<std::vector<std::string>> names = io::ListDirectory(dir);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    if (XmlPageOf(name) || ArchiveSlotOf(name)) {
      return absl::FailedPreconditionError(absl::StrCat(
          dir, " already holds ", name,
          " from an earlier run; move it away or choose another output "
          "directory (the lessons never overwrite output)"));
    }
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
  Log(options, absl::StrFormat("Convert csv data to %s", XmlFileName(page)));
  absl::StatusOr<std::string> xml = PageXml(csv, page, options.csv);
  if (!xml.ok()) return xml.status();
  absl::Status s =
      WritePageXml(options, page, *xml, io::AtomicFile::Mode::kNoReplace);
  if (!s.ok()) return s;
  return Path(options, XmlFileName(page));
}

absl::StatusOr<PipelineReport> RunPipeline(const PipelineOptions& options,
                                           const DownloaderOptions& download) {
  if (absl::Status s = ValidatePipelineOptions(options); !s.ok()) return s;
  if (download.max_page_size <= 0 ||
      download.max_page_size > options.max_memory) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_page_size (", download.max_page_size,
        " bytes) must be positive and fit in max_memory (", options.max_memory,
        " bytes): one page must fit in memory"));
  }
  RunSettings settings{
      options.source.empty() ? RedactUrl(options.url_template) : options.source,
      options.pages, options.page_size, options.batch, options.shard};
  Layout layout(options.pages, options.batch, options.shard);
  absl::StatusOr<OutDirState> state =
      OpenOutDir(options.out_dir, layout, settings);
  if (!state.ok()) return state.status();
  Pipeline pipeline(options, download, *std::move(state));
  return pipeline.Run();
}

}  // namespace concurrency::pipeline
