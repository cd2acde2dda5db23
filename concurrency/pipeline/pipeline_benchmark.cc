// The pipeline's parts and the whole, C++ against the tutorial's Python, in
// one run, on the same input:
//
//   bazel run -c opt //concurrency/pipeline:pipeline_benchmark
//
// 1. Converter: a --csv_mb MB price CSV (the anchors' prices_gen rows) to
//    XML. C++ `CsvFileToXmlFile` (streaming, atomic, fsync) and the
//    converter alone into memory (also in cycles per byte), against the
//    Python seed's `csv_to_xml` on the same file read into a StringIO, as
//    the anchors measure it, and against the machine's limit: a memcpy of
//    the XML's bytes.
// 2. Tarrer: --tar_files XML files of 2600 rows (~1 MB each) into one .tgz.
//    C++ `TarGzWriter` (fsync included) and the `targz` command at level 6
//    against `tar czf` (gzip -6), `tar | pigz -p2 -6` and
//    `tar | libdeflate-gzip -6`, with the sizes; at level 9 against `tar`
//    with gzip -9 and the Python seed's `tar_xml` (tarfile's level is 9).
// --plot_data=FILE appends every MB/s figure to FILE for plot_benchmark.sh.
// 3. End to end: --pages pages of --page_size rows from a loopback price feed
//    adding --delay per response (the C++ feed, without auth, serving both):
//    the `pipeline` binary (a process, like Python's) at its default flags
//    and a few variants, against the Python seed's pipeline.py (a thread per
//    page).
// 4. At scale: --scale_pages pages at --delay each through the `pipeline`
//    binary, at the default flags and at --batch=100: its time against the
//    floor measured in the same run (the larger of (a) the same fetches
//    alone through the same MultiFetcher, bodies discarded, and (b)
//    converting and compressing the same pages in memory on both cores), its
//    user and system CPU, peak threads (sampled from /proc) and peak RSS, and
//    the files created and fsyncs per archive (strace of a 1,000-page run).
// 5. Hostile feed: an endless page and one announcing 50 GB, at the default
//    limits: the run's exit status and peak RSS.
// Each C++ figure is the median of --reps runs; Python runs --python_reps
// times (its converter takes ~18 s on 50 MB).
#include <fcntl.h>
#include <libdeflate.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <x86intrin.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "concurrency/http/server.h"
#include "concurrency/io/atomic_file.h"
#include "concurrency/io/file_util.h"
#include "concurrency/pipeline/csv/csv_to_xml.h"
#include "concurrency/pipeline/csv/internal/csv_scan.h"
#include "concurrency/pipeline/hostile_feed.h"
#include "concurrency/pipeline/multi_fetcher.h"
#include "concurrency/pipeline/pipeline.h"
#include "concurrency/pipeline/prices.h"
#include "concurrency/pipeline/targz/tar_gz.h"
#include "tools/testing/proc_status.h"

ABSL_FLAG(int, csv_mb, 50, "Size of the converter's CSV input, MB (10^6 B).");
ABSL_FLAG(int, tar_files, 50, "XML files (~1 MB each) for the tarrer.");
ABSL_FLAG(int, pages, 100, "End to end: pages.");
ABSL_FLAG(int, page_size, 200, "End to end: rows per page.");
ABSL_FLAG(absl::Duration, delay, absl::Milliseconds(20),
          "End to end: latency the feed adds to each response.");
ABSL_FLAG(int, scale_pages, 10000, "At scale: pages (0: skip).");
ABSL_FLAG(std::string, sections, "convert,tar,e2e,scale,hostile",
          "Which sections to run, comma-separated.");
ABSL_FLAG(int, reps, 3, "C++ runs per figure (median).");
ABSL_FLAG(int, python_reps, 1, "Python runs per figure (median).");
ABSL_FLAG(std::string, python_dir, "",
          "The Python anchors (default: ../shared/anchors/python from the "
          "workspace).");
ABSL_FLAG(std::string, plot_data, "",
          "Append each MB/s figure to this file (for plot_benchmark.sh).");
ABSL_FLAG(std::string, work_dir, "",
          "Scratch directory (default: a new one under /tmp).");

extern char** environ;

namespace {

using concurrency::io::ReadFileToString;

void Die(const absl::Status& s) {
  std::fprintf(stderr, "pipeline_benchmark: %s\n", s.ToString().c_str());
  std::exit(1);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? -1 : v[v.size() / 2];
}

double Time(const std::function<void()>& f) {
  absl::Time t0 = absl::Now();
  f();
  return absl::ToDoubleSeconds(absl::Now() - t0);
}

// Runs a shell command; its stdout's last number is returned (Python prints
// its own timing), or -1 on failure.
double Shell(const std::string& command) {
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return -1;
  std::string out;
  char buf[4096];
  while (fgets(buf, sizeof buf, p)) out = buf;
  int rc = pclose(p);
  double v = -1;
  if (rc != 0 || !absl::SimpleAtod(absl::StripAsciiWhitespace(out), &v)) {
    std::fprintf(stderr, "command failed (rc %d): %s\n", rc, command.c_str());
    return -1;
  }
  return v;
}

// Wall time of a shell command, or -1 if it fails.
double TimeShell(const std::string& command) {
  absl::Time t0 = absl::Now();
  int rc = system(command.c_str());
  double s = absl::ToDoubleSeconds(absl::Now() - t0);
  if (rc != 0) {
    std::fprintf(stderr, "command failed (rc %d): %s\n", rc, command.c_str());
    return -1;
  }
  return s;
}

long PeakRssKb() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

std::string Ratio(double base, double ours) {
  if (base <= 0 || ours <= 0) return "n/a";
  return absl::StrFormat("%.1fx", base / ours);
}

volatile char benchmark_sink;

// --plot_data: "section<TAB>label<TAB>MB/s" lines for plot_benchmark.sh.
void Plot(const char* section, const std::string& label, double mb_per_s) {
  const std::string path = absl::GetFlag(FLAGS_plot_data);
  if (path.empty() || mb_per_s <= 0) return;
  FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) return;
  std::fprintf(f, "%s\t%s\t%.1f\n", section, label.c_str(), mb_per_s);
  std::fclose(f);
}

// What every section needs.
struct Bench {
  std::string work;  // scratch directory
  std::string py;    // the Python anchors
  bool have_py = false;
  int reps = 1;
  int py_reps = 1;
  std::string pipeline;  // the pipeline binary
  std::string targz;     // the targz binary
};

void ConverterSection(const Bench& b) {
  const std::string& work = b.work;
  const std::string& py = b.py;
  const bool have_py = b.have_py;
  const int reps = b.reps, py_reps = b.py_reps;
  // ---- 1. Converter ----
  const std::string csv = work + "/prices.csv";
  int64_t csv_bytes = 0, rows = 0;
  {
    std::string text =
        "date,open,high,low,close,volume,ex_dividend,split_ratio,"
        "adj_open,adj_high,adj_low,adj_close,adj_volume\n";
    const int64_t target = int64_t{absl::GetFlag(FLAGS_csv_mb)} * 1000000;
    auto file = concurrency::io::AtomicFile::Create(
        csv, concurrency::io::AtomicFile::Mode::kReplace);
    if (!file.ok()) Die(file.status());
    csv_bytes = static_cast<int64_t>(text.size());
    if (auto s = (*file)->Append(text); !s.ok()) Die(s);
    while (csv_bytes < target) {
      std::string line =
          absl::StrCat(concurrency::pipeline::PriceRow(rows++), "\n");
      csv_bytes += static_cast<int64_t>(line.size());
      if (auto s = (*file)->Append(line); !s.ok()) Die(s);
    }
    if (auto s = (*file)->Commit(); !s.ok()) Die(s);
  }
  std::vector<double> to_file, to_file_nosync, to_memory, cycles, memcpy_s;
  int64_t xml_bytes = 0;
  for (int i = 0; i < reps; ++i) {
    std::string xml = work + "/out.xml";
    unlink(xml.c_str());
    to_file.push_back(Time([&] {
      if (auto s = concurrency::pipeline::CsvFileToXmlFile(csv, xml); !s.ok())
        Die(s);
    }));
    unlink(xml.c_str());
    to_file_nosync.push_back(Time([&] {
      if (auto s = concurrency::pipeline::CsvFileToXmlFile(
              csv, xml, {}, concurrency::io::AtomicFile::Mode::kNoReplace,
              concurrency::io::AtomicFile::Sync::kNone);
          !s.ok()) {
        Die(s);
      }
    }));
    absl::StatusOr<std::string> text = ReadFileToString(csv);
    if (!text.ok()) Die(text.status());
    uint64_t tsc = 0;
    to_memory.push_back(Time([&] {
      const uint64_t t0 = __rdtsc();
      concurrency::pipeline::CsvToXmlConverter c(
          "bench", [&xml_bytes](absl::string_view b) {
            xml_bytes += static_cast<int64_t>(b.size());
            return absl::OkStatus();
          });
      xml_bytes = 0;
      if (auto s = c.Feed(*text); !s.ok()) Die(s);
      if (auto s = c.Finish(); !s.ok()) Die(s);
      tsc = __rdtsc() - t0;
    }));
    cycles.push_back(static_cast<double>(tsc) / static_cast<double>(csv_bytes));
  }
  long cpp_rss_mb = PeakRssKb() / 1024;
  {
    // The machine's limit beside it: copying the output's bytes once.
    std::string from(static_cast<size_t>(xml_bytes), 'x'), to(from.size(), ' ');
    for (int i = 0; i < reps; ++i) {
      memcpy_s.push_back(Time([&] {
        std::memcpy(to.data(), from.data(), from.size());
        benchmark_sink = to[to.size() / 2];
      }));
    }
  }
  std::vector<double> py_convert;
  for (int i = 0; have_py && i < py_reps; ++i) {
    py_convert.push_back(Shell(
        absl::StrFormat("cd '%s/seed' && /usr/bin/python3 -c '"
                        "import io, sys, time, contextlib\n"
                        "from csv_to_xml import csv_to_xml\n"
                        "text = open(\"%s\", newline=\"\").read()\n"
                        "t = time.perf_counter()\n"
                        "with contextlib.redirect_stdout(io.StringIO()):\n"
                        "    csv_to_xml(io.StringIO(text), \"%s/py.xml\")\n"
                        "print(time.perf_counter() - t)'",
                        py, csv, work)));
  }
  const double mb = static_cast<double>(csv_bytes) / 1e6;
  std::printf("1. CSV -> XML, %.1f MB, %lld rows x 13 columns\n", mb,
              static_cast<long long>(rows));
  std::printf("   %-44s %8s %10s %10s\n", "", "seconds", "MB/s", "vs Python");
  double py_c = Median(py_convert);
  auto row = [&](const char* name, double s, double base) {
    std::printf("   %-44s %8.3f %10.1f %10s\n", name, s, s > 0 ? mb / s : 0,
                Ratio(base, s).c_str());
  };
  if (have_py) row("Python seed csv_to_xml (StringIO in)", py_c, py_c);
  row("C++ CsvFileToXmlFile (file to file, fsync)", Median(to_file), py_c);
  row("C++ CsvFileToXmlFile, no fsync (as Python)", Median(to_file_nosync),
      py_c);
  row("C++ CsvToXmlConverter (memory to memory)", Median(to_memory), py_c);
  const double copy = Median(memcpy_s);
  std::printf("   %-44s %8.3f %10.1f %10s\n",
              "memcpy of the XML's bytes (the limit)*", copy,
              copy > 0 ? mb / copy : 0, "");
  std::printf(
      "   * MB of CSV per second at which copying the XML alone would run.\n"
      "   converter: %.2f cycles per CSV byte (TSC), %.1f MB of XML, "
      "scans: %s; memcpy of that XML is %.1fx faster\n",
      Median(cycles), static_cast<double>(xml_bytes) / 1e6,
      concurrency::pipeline::csv_internal::BestScan().name,
      copy > 0 ? Median(to_memory) / copy : 0);
  std::printf("   C++ peak RSS of this process so far: %ld MB\n\n", cpp_rss_mb);
  Plot("convert", "Python csv_to_xml", have_py ? mb / py_c : 0);
  Plot("convert", "C++ file to file, fsync", mb / Median(to_file));
  Plot("convert", "C++ memory to memory", mb / Median(to_memory));
  Plot("convert", "memcpy of the output", copy > 0 ? mb / copy : 0);
}

void TarSection(const Bench& b) {
  const std::string& work = b.work;
  const std::string& py = b.py;
  const bool have_py = b.have_py;
  const int reps = b.reps, py_reps = b.py_reps;
  // ---- 2. Tarrer ----
  const int nfiles = absl::GetFlag(FLAGS_tar_files);
  const std::string src = work + "/xml";
  if (auto s = concurrency::io::MakeDirs(src); !s.ok()) Die(s);
  int64_t xml_bytes = 0;
  std::string members;  // data1.xml data2.xml ...
  for (int i = 1; i <= nfiles; ++i) {
    members += absl::StrCat(" data", i, ".xml");
    absl::StatusOr<std::string> x = concurrency::pipeline::CsvToXml(
        concurrency::pipeline::PricePageCsv(i, 2600), "bench");
    if (!x.ok()) Die(x.status());
    xml_bytes += static_cast<int64_t>(x->size());
    if (auto s = concurrency::io::WriteFileAtomically(
            absl::StrCat(src, "/data", i, ".xml"), *x,
            concurrency::io::AtomicFile::Mode::kReplace);
        !s.ok()) {
      Die(s);
    }
  }
  // Each contender writes `out`; returns seconds (fsync included for all).
  auto ours = [&](int level) {
    std::string out = absl::StrCat(work, "/ours", level, ".tgz");
    unlink(out.c_str());
    return Time([&] {
      auto w =
          concurrency::pipeline::TarGzWriter::Create(out, {.level = level});
      if (!w.ok()) Die(w.status());
      for (int i = 1; i <= nfiles; ++i) {
        std::string name = absl::StrCat("data", i, ".xml");
        if (auto s = (*w)->AddFile(src + "/" + name, name); !s.ok()) Die(s);
      }
      if (auto s = (*w)->Commit(); !s.ok()) Die(s);
    });
  };
  auto shell = [&](const std::string& name, const std::string& pipe) {
    std::string out = absl::StrCat(work, "/", name, ".tgz");
    unlink(out.c_str());
    return TimeShell(
        absl::StrFormat("cd '%s' && tar -cf - %s | %s > '%s' && sync -f '%s'",
                        src, members, pipe, out, out));
  };
  auto targz = [&](int level) {
    std::string out = absl::StrCat(work, "/targz", level, ".tgz");
    unlink(out.c_str());
    return TimeShell(absl::StrFormat("cd '%s' && '%s' --level=%d '%s' %s", src,
                                     b.targz, level, out, members));
  };
  std::vector<double> ours6, ours9, tar6, tar9, pigz6, ldg6, targz6, py_tar;
  for (int i = 0; i < reps; ++i) {
    ours6.push_back(ours(6));
    tar6.push_back(shell("tar6", "gzip -6"));
    pigz6.push_back(shell("pigz6", "pigz -p2 -6"));
    ldg6.push_back(shell("ldg6", "libdeflate-gzip -6 -c"));
    targz6.push_back(targz(6));
    ours9.push_back(ours(9));
    tar9.push_back(shell("tar9", "gzip -9"));
  }
  for (int i = 0; have_py && i < py_reps; ++i) {
    std::string dir = absl::StrCat(work, "/pytar", i);
    py_tar.push_back(Shell(absl::StrFormat(
        "rm -rf '%s' && cp -r '%s' '%s' && cd '%s' && PYTHONPATH='%s/seed' "
        "/usr/bin/python3 -c 'import time\nfrom tar_xml import tar_xml\n"
        "t = time.perf_counter()\ntar_xml(\"test.tgz\")\n"
        "print(time.perf_counter() - t)'",
        dir, src, dir, dir, py)));
  }
  auto size_of = [&](const std::string& name) {
    struct stat st;
    return stat(absl::StrCat(work, "/", name, ".tgz").c_str(), &st) == 0
               ? static_cast<double>(st.st_size) / 1e6
               : -1;
  };
  const double xmb = static_cast<double>(xml_bytes) / 1e6;
  std::printf("2. %d XML files, %.1f MB, into one .tgz\n", nfiles, xmb);
  std::printf("   %-40s %8s %8s %8s %9s %9s %9s\n", "", "seconds", "MB/s",
              "vs tar", "vs Python", "size MB", "vs tar");
  const double t6 = Median(tar6), t9 = Median(tar9), pt = Median(py_tar);
  auto trow = [&](const char* name, double secs, double tar_s, double py_s,
                  const std::string& file, double tar_size) {
    const double size = size_of(file);
    std::printf("   %-40s %8.3f %8.1f %8s %9s %9.2f %8.1f%%\n", name, secs,
                secs > 0 ? xmb / secs : 0, Ratio(tar_s, secs).c_str(),
                Ratio(py_s, secs).c_str(), size,
                tar_size > 0 ? 100 * size / tar_size : 0);
    Plot("tar", name, secs > 0 ? xmb / secs : 0);
  };
  const double s6 = size_of("tar6"), s9 = size_of("tar9");
  trow("tar czf (gzip -6)", t6, t6, -1, "tar6", s6);
  trow("tar | pigz -p2 -6", Median(pigz6), t6, -1, "pigz6", s6);
  trow("tar | libdeflate-gzip -6", Median(ldg6), t6, -1, "ldg6", s6);
  trow("C++ TarGzWriter level 6", Median(ours6), t6, -1, "ours6", s6);
  trow("C++ targz --level=6 (the command)", Median(targz6), t6, -1, "targz6",
       s6);
  trow("tar with gzip -9", t9, t9, pt, "tar9", s9);
  if (have_py) {
    std::printf("   %-40s %8.3f %8.1f %8s %9s\n",
                "Python seed tar_xml (tarfile, level 9)", pt,
                pt > 0 ? xmb / pt : 0, Ratio(t9, pt).c_str(), "1.0x");
    Plot("tar", "Python tar_xml (level 9)", pt > 0 ? xmb / pt : 0);
  }
  trow("C++ TarGzWriter level 9", Median(ours9), t9, pt, "ours9", s9);
  std::printf("\n");
}

// The pipeline binary against `feed`, timed from outside; -1 if it failed.
double RunPipelineBinary(const Bench& b,
                         const concurrency::http::HttpServer& feed, int pages,
                         int page_size, const std::string& extra, int* run) {
  std::string out = absl::StrCat(b.work, "/e2e", (*run)++);
  return TimeShell(absl::StrFormat(
      "'%s' --quiet --pages=%d --page_size=%d %s --out_dir='%s' "
      "--url='%s/prices.csv?page_size={page_size}&page_number={page}' "
      "> /dev/null",
      b.pipeline, pages, page_size, extra, out, feed.base_url()));
}

// The demo feed without auth, adding --delay per response.
std::unique_ptr<concurrency::http::HttpServer> StartOpenFeed(int pages,
                                                             int page_size) {
  auto feed = concurrency::pipeline::StartPriceFeed(
      {.credentials = {},
       .pages = pages,
       .default_page_size = page_size,
       .delay = absl::GetFlag(FLAGS_delay),
       .threads = 128});
  if (!feed.ok()) Die(feed.status());
  return *std::move(feed);
}

void EndToEndSection(const Bench& b) {
  const int pages = absl::GetFlag(FLAGS_pages);
  const int page_size = absl::GetFlag(FLAGS_page_size);
  std::unique_ptr<concurrency::http::HttpServer> feed =
      StartOpenFeed(pages, page_size);
  int run = 0;
  struct Config {
    const char* name;
    std::string extra;
    std::vector<double> seconds;
  };
  std::vector<Config> configs = {
      {"C++ pipeline, default flags (64 in flight)", "", {}},
      {"C++ pipeline, --nofsync_xml", "--nofsync_xml", {}},
      {"C++ pipeline, --gzip_level=1", "--gzip_level=1", {}},
      {"C++ pipeline, --max_in_flight=8", "--max_in_flight=8", {}},
  };
  for (int i = 0; i < b.reps; ++i) {
    for (Config& c : configs) {
      c.seconds.push_back(
          RunPipelineBinary(b, *feed, pages, page_size, c.extra, &run));
    }
  }
  std::vector<double> ep;
  for (int i = 0; b.have_py && i < std::max(b.py_reps, 3); ++i) {
    std::string out = absl::StrCat(b.work, "/e2e", run++);
    ep.push_back(TimeShell(
        absl::StrFormat("mkdir -p '%s' && cd '%s' && /usr/bin/python3 "
                        "'%s/seed/pipeline.py' --port %d "
                        "--pages %d --page-size %d > /dev/null",
                        out, out, b.py, feed->port(), pages, page_size)));
  }
  std::printf(
      "3. End to end: %d pages x %d rows, %s per response, processes "
      "started and timed from outside\n",
      pages, page_size,
      absl::FormatDuration(absl::GetFlag(FLAGS_delay)).c_str());
  std::printf("   %-44s %8s %10s\n", "", "seconds", "vs Python");
  double pe = Median(ep);
  if (b.have_py) {
    std::printf("   %-44s %8.3f %10s\n",
                "Python seed pipeline.py (thread per page)", pe,
                Ratio(pe, pe).c_str());
  }
  for (const Config& c : configs) {
    std::printf("   %-44s %8.3f %10s\n", c.name, Median(c.seconds),
                Ratio(pe, Median(c.seconds)).c_str());
  }
  std::printf("\n");
}

// What one run of the pipeline binary cost.
struct RunCost {
  double seconds = 0;
  double user = 0;  // CPU seconds
  double sys = 0;
  int exit_status = -1;
  int peak_threads = 0;
  long peak_rss_mb = 0;
};

// Runs `args` (the pipeline binary first), stdout to /dev/null, sampling its
// thread count from /proc.
RunCost RunMeasured(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const absl::Time start = absl::Now();
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) {
    Die(absl::InternalError("posix_spawn pipeline"));
  }
  posix_spawn_file_actions_destroy(&fa);
  // Sampled from /proc every 2 ms: the child's own RSS (getrusage's maxrss
  // would count the parent's memory, which a posix_spawn child shares until
  // it execs).
  std::atomic<bool> done{false};
  std::atomic<int64_t> peak_threads{0}, peak_rss_kb{0};
  std::thread sampler([&] {
    while (!done.load()) {
      peak_threads = std::max(
          peak_threads.load(),
          testing_util::ProcStatusField(absl::StrCat(pid), "Threads:"));
      peak_rss_kb =
          std::max(peak_rss_kb.load(),
                   testing_util::ProcStatusField(absl::StrCat(pid), "VmRSS:"));
      absl::SleepFor(absl::Milliseconds(2));
    }
  });
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  RunCost c;
  c.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  done = true;
  sampler.join();
  c.user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
  c.sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  c.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  c.peak_threads = static_cast<int>(peak_threads.load());
  c.peak_rss_mb = static_cast<long>(peak_rss_kb.load() / 1024);
  return c;
}

std::vector<std::string> PipelineArgs(const Bench& b, const std::string& url,
                                      int pages, int page_size,
                                      const std::string& out,
                                      const std::string& extra) {
  std::vector<std::string> args = {b.pipeline,
                                   "--quiet",
                                   "--progress=none",
                                   absl::StrCat("--pages=", pages),
                                   absl::StrCat("--page_size=", page_size),
                                   absl::StrCat("--out_dir=", out),
                                   absl::StrCat("--url=", url)};
  if (!extra.empty()) args.push_back(extra);
  return args;
}

// Floor (a): the same fetches alone, through the same MultiFetcher (64 in
// flight, as the pipeline's default), bodies discarded.
double FetchFloor(const std::string& url, int pages, int page_size) {
  std::vector<std::string> urls;
  for (int p = 1; p <= pages; ++p) {
    urls.push_back(concurrency::pipeline::PageUrl(url, p, page_size));
  }
  concurrency::pipeline::MultiFetcherOptions o;
  o.max_in_flight = 64;
  o.max_per_host = 64;
  concurrency::pipeline::MultiFetcher fetcher(o);
  return Time([&] {
    (void)fetcher.Run(urls, [](size_t, absl::StatusOr<std::string> body) {
      if (!body.ok()) Die(body.status());
    });
  });
}

// Floor (b): converting and compressing the same pages in memory on both
// cores: each slot of `batch` pages converted to XML, then gzipped at level
// 6 with libdeflate. The CSV is made before the clock starts, as the feed
// makes it.
double WorkFloor(int pages, int page_size, int batch, size_t* gz_bytes) {
  std::vector<std::string> csv;
  for (int p = 1; p <= pages; ++p) {
    csv.push_back(concurrency::pipeline::PricePageCsv(p, page_size));
  }
  const int slots = (pages + batch - 1) / batch;
  std::atomic<int> next{0};
  std::atomic<size_t> out_bytes{0};
  auto worker = [&] {
    libdeflate_compressor* c = libdeflate_alloc_compressor(6);
    std::string xml, gz;
    for (int k; (k = next.fetch_add(1)) < slots;) {
      xml.clear();
      for (int p = k * batch; p < std::min(pages, (k + 1) * batch); ++p) {
        concurrency::pipeline::CsvToXmlConverter converter(
            "page",
            [&xml](absl::string_view bytes) {
              xml.append(bytes);
              return absl::OkStatus();
            },
            {});
        if (!converter.Feed(csv[p]).ok() || !converter.Finish().ok()) {
          Die(absl::InternalError("floor: conversion failed"));
        }
      }
      gz.resize(libdeflate_gzip_compress_bound(c, xml.size()));
      out_bytes += libdeflate_gzip_compress(c, xml.data(), xml.size(),
                                            gz.data(), gz.size());
    }
    libdeflate_free_compressor(c);
  };
  const double seconds = Time([&] {
    std::thread a(worker), b(worker);
    a.join();
    b.join();
  });
  *gz_bytes = out_bytes;
  return seconds;
}

struct DurableCost {
  double seconds = 0;
  double cpu = 0;  // user + system, this thread
  double sys = 0;
};

double ThreadCpu(bool sys_only) {
  rusage u;
  getrusage(RUSAGE_THREAD, &u);
  const double sys = u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
  return sys_only ? sys : sys + u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6;
}

// Not a floor of the issue's, but what the kernel charges for the archives
// alone: `archives` files of `bytes` each, written as the pipeline writes
// them (a temporary file, written, renamed, fsynced) on one thread, with one
// directory fsync at the end.
DurableCost DurableWrites(const std::string& dir, int archives, size_t bytes) {
  if (!concurrency::io::MakeDirs(dir).ok()) return {};
  const std::string data(bytes, 'x');
  DurableCost cost;
  const double cpu0 = ThreadCpu(false), sys0 = ThreadCpu(true);
  cost.seconds = Time([&] {
    for (int k = 1; k <= archives; ++k) {
      auto f = concurrency::io::AtomicFile::Create(
          absl::StrCat(dir, "/data", k, ".tgz"),
          concurrency::io::AtomicFile::Mode::kNoReplace,
          concurrency::io::AtomicFile::Sync::kLater);
      if (!f.ok() || !(*f)->Append(data).ok() || !(*f)->Commit().ok() ||
          !(*f)->SyncLater().ok()) {
        Die(absl::InternalError(absl::StrCat("durable writes in ", dir)));
      }
    }
    if (absl::Status s = concurrency::io::SyncDir(dir); !s.ok()) Die(s);
  });
  cost.cpu = ThreadCpu(false) - cpu0;
  cost.sys = ThreadCpu(true) - sys0;
  return cost;
}

// Files created and fsyncs per archive, counted by strace in a run of
// `pages` pages with `extra` flags (strace slows it; only counts are kept).
std::pair<double, double> FilesAndFsyncsPerArchive(
    const Bench& b, const std::string& url, int pages, int page_size, int batch,
    const std::string& extra, int* run) {
  const std::string out = absl::StrCat(b.work, "/strace", (*run)++);
  const std::string log = out + ".log";
  std::string command = absl::StrFormat(
      "strace -f -qq -e trace=fsync,fdatasync,syncfs,openat,creat -o '%s' '%s' "
      "--quiet --progress=none --pages=%d --page_size=%d --out_dir='%s' "
      "--url='%s' %s > /dev/null 2>&1",
      log, b.pipeline, pages, page_size, out, url, extra);
  if (system(command.c_str()) != 0) return {-1, -1};
  std::ifstream in(log);
  int created = 0, fsyncs = 0;
  for (std::string line; std::getline(in, line);) {
    if (absl::StrContains(line, "O_CREAT") &&
        !absl::StrContains(line, "= -1")) {
      ++created;
    }
    if (absl::StrContains(line, "fsync(") ||
        absl::StrContains(line, "fdatasync(") ||
        absl::StrContains(line, "syncfs(")) {
      ++fsyncs;
    }
  }
  const double archives = (pages + batch - 1) / batch;
  return {created / archives, fsyncs / archives};
}

void ScaleSection(const Bench& b) {
  const int pages = absl::GetFlag(FLAGS_scale_pages);
  if (pages <= 0) return;
  const int page_size = absl::GetFlag(FLAGS_page_size);
  std::unique_ptr<concurrency::http::HttpServer> feed =
      StartOpenFeed(pages, page_size);
  const std::string url = absl::StrCat(
      feed->base_url(), "/prices.csv?page_size={page_size}&page_number={page}");
  std::printf("4. At scale: %d pages x %d rows, %s per response\n", pages,
              page_size,
              absl::FormatDuration(absl::GetFlag(FLAGS_delay)).c_str());
  const double fetch_floor = FetchFloor(url, pages, page_size);
  int run = 0;
  struct Config {
    const char* name;
    std::string extra;
    int batch;
  };
  std::printf(
      "   | flags | seconds | floor (fetch, work) | vs floor | user | sys | "
      "sys share | peak threads | peak RSS (sampled) | files, fsyncs per "
      "archive | the archives' durable writes alone: seconds (CPU, sys) |\n"
      "   | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- "
      "|\n");
  for (const Config& c : {Config{"defaults (--batch=2)", "", 2},
                          Config{"--batch=100", "--batch=100", 100}}) {
    const RunCost cost = RunMeasured(
        PipelineArgs(b, url, pages, page_size,
                     absl::StrCat(b.work, "/scale", run++), c.extra));
    size_t gz_bytes = 0;
    const double work_floor = WorkFloor(pages, page_size, c.batch, &gz_bytes);
    const int archives = (pages + c.batch - 1) / c.batch;
    const DurableCost durable =
        DurableWrites(absl::StrCat(b.work, "/durable", run++), archives,
                      gz_bytes / std::max(1, archives));
    const double floor = std::max(fetch_floor, work_floor);
    const auto [files, fsyncs] = FilesAndFsyncsPerArchive(
        b, url, std::min(pages, 1000), page_size, c.batch, c.extra, &run);
    std::printf(
        "   | %s | %.2f | %.2f (%.2f, %.2f) | %.2fx | %.2f s | %.2f s | "
        "%.0f %% | %d | %ld MB | %.2f, %.2f | %.2f (%.2f, %.2f) |\n",
        c.name, cost.seconds, floor, fetch_floor, work_floor,
        cost.seconds / floor, cost.user, cost.sys,
        100 * cost.sys / std::max(1e-9, cost.user + cost.sys),
        cost.peak_threads, cost.peak_rss_mb, files, fsyncs, durable.seconds,
        durable.cpu, durable.sys);
    if (cost.exit_status != 0) {
      std::printf("   (exit status %d)\n", cost.exit_status);
    }
  }
  std::printf(
      "   files and fsyncs per archive: strace of a %d-page run of the same "
      "flags.\n\n",
      std::min(pages, 1000));
}

// 5. A feed whose page 2 never ends and page 3 announces 50 GB, at the
// default limits: the run ends by itself (exit status 1) within the budget.
void HostileSection(const Bench& b) {
  absl::StatusOr<std::unique_ptr<concurrency::pipeline::HostileFeed>> feed =
      concurrency::pipeline::HostileFeed::Start({2}, {3}, 200);
  if (!feed.ok()) Die(feed.status());
  const RunCost cost =
      RunMeasured(PipelineArgs(b, (*feed)->url_template(), 6, 200,
                               absl::StrCat(b.work, "/hostile"), ""));
  std::printf(
      "5. Hostile feed (page 2 endless, page 3 announcing 50 GB), default "
      "limits\n   %.2f s, exit status %d, peak RSS %ld MB, sampled (limit: "
      "--max_memory + 100 MiB = 612 MiB)\n\n",
      cost.seconds, cost.exit_status, cost.peak_rss_mb);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Benchmarks the CSV->XML converter, the tar.gz writer and the whole "
      "pipeline against the tutorial's Python, in one run.");
  absl::ParseCommandLine(argc, argv);
  Bench b;
  b.reps = std::max(1, absl::GetFlag(FLAGS_reps));
  b.py_reps = std::max(0, absl::GetFlag(FLAGS_python_reps));
  b.py = absl::GetFlag(FLAGS_python_dir);
  if (b.py.empty()) {
    const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY");
    b.py = absl::StrCat(ws ? ws : ".", "/../shared/anchors/python");
  }
  b.have_py =
      b.py_reps > 0 && access((b.py + "/seed/pipeline.py").c_str(), R_OK) == 0;
  if (!b.have_py) {
    std::printf("Python anchors not found in %s: C++ only.\n", b.py.c_str());
  }
  b.work = absl::GetFlag(FLAGS_work_dir);
  const bool own_work = b.work.empty();
  if (own_work) {
    std::string tmpl = "/tmp/pipeline_benchXXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) Die(absl::InternalError("mkdtemp"));
    b.work = tmpl;
  }
  if (auto s = concurrency::io::MakeDirs(b.work); !s.ok()) Die(s);
  b.pipeline = concurrency::io::DirName(argv[0]) + "/pipeline";
  {
    char self[4096];
    const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    b.targz = (n > 0 ? concurrency::io::DirName(std::string(self, n))
                     : concurrency::io::DirName(argv[0])) +
              "/targz/targz";
  }
  std::printf("scratch: %s\n\n", b.work.c_str());
  const std::string sections = absl::GetFlag(FLAGS_sections);
  auto wanted = [&](absl::string_view name) {
    return absl::StrContains(sections, name);
  };
  if (wanted("convert")) ConverterSection(b);
  if (wanted("tar")) TarSection(b);
  if (wanted("e2e")) EndToEndSection(b);
  if (wanted("scale")) ScaleSection(b);
  if (wanted("hostile")) HostileSection(b);
  if (own_work && system(absl::StrCat("rm -rf '", b.work, "'").c_str()) != 0) {
    std::fprintf(stderr, "could not remove %s\n", b.work.c_str());
  }
  return 0;
}
