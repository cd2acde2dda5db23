// The pipeline's parts and the whole, C++ against the tutorial's Python, in
// one run, on the same input:
//
//   bazel run -c opt //concurrency/pipeline:pipeline_benchmark
//
// 1. Converter: a --csv_mb MB price CSV (the anchors' prices_gen rows) to
//    XML. C++ `CsvFileToXmlFile` (streaming, atomic, fsync) and the
//    converter alone into memory, against the Python seed's `csv_to_xml` on
//    the same file read into a StringIO, as the anchors measure it.
// 2. Tarrer: --tar_files XML files of 2600 rows (~1 MB each) into one .tgz.
//    C++ `TarGzWriter` (fsync included) at gzip level 6 against `tar czf`
//    (gzip -6), and at level 9 against `tar` with gzip -9 and the Python
//    seed's `tar_xml` (tarfile's default level is 9).
// 3. End to end: --pages pages of --page_size rows from a loopback price feed
//    adding --delay per response (the C++ feed, without auth, serving both):
//    the `pipeline` binary (a process, like Python's) at its default flags
//    and a few variants, against the Python seed's pipeline.py (a thread per
//    page).
// 4. At scale: --scale_pages pages at --delay each through the `pipeline`
//    binary: its time, peak thread count (sampled from /proc) and peak RSS.
// Each C++ figure is the median of --reps runs; Python runs --python_reps
// times (its converter takes ~18 s on 50 MB).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
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
#include "concurrency/pipeline/csv_to_xml.h"
#include "concurrency/pipeline/prices.h"
#include "concurrency/pipeline/tar_gz.h"

ABSL_FLAG(int, csv_mb, 50, "Size of the converter's CSV input, MB (10^6 B).");
ABSL_FLAG(int, tar_files, 50, "XML files (~1 MB each) for the tarrer.");
ABSL_FLAG(int, pages, 100, "End to end: pages.");
ABSL_FLAG(int, page_size, 200, "End to end: rows per page.");
ABSL_FLAG(absl::Duration, delay, absl::Milliseconds(20),
          "End to end: latency the feed adds to each response.");
ABSL_FLAG(int, scale_pages, 10000, "At scale: pages (0: skip).");
ABSL_FLAG(std::string, sections, "convert,tar,e2e,scale",
          "Which sections to run, comma-separated.");
ABSL_FLAG(int, reps, 3, "C++ runs per figure (median).");
ABSL_FLAG(int, python_reps, 1, "Python runs per figure (median).");
ABSL_FLAG(std::string, python_dir, "",
          "The Python anchors (default: ../shared/anchors/python from the "
          "workspace).");
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

// What every section needs.
struct Bench {
  std::string work;  // scratch directory
  std::string py;    // the Python anchors
  bool have_py = false;
  int reps = 1;
  int py_reps = 1;
  std::string pipeline;  // the pipeline binary
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
  std::vector<double> to_file, to_file_nosync, to_memory;
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
              csv, xml, {}, false, concurrency::io::AtomicFile::Sync::kNone);
          !s.ok()) {
        Die(s);
      }
    }));
    absl::StatusOr<std::string> text = ReadFileToString(csv);
    if (!text.ok()) Die(text.status());
    to_memory.push_back(Time([&] {
      int64_t n = 0;
      concurrency::pipeline::CsvToXmlConverter c(
          "bench", [&n](absl::string_view b) {
            n += static_cast<int64_t>(b.size());
            return absl::OkStatus();
          });
      if (auto s = c.Feed(*text); !s.ok()) Die(s);
      if (auto s = c.Finish(); !s.ok()) Die(s);
    }));
  }
  long cpp_rss_mb = PeakRssKb() / 1024;
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
  std::printf("   C++ peak RSS of this process so far: %ld MB\n\n", cpp_rss_mb);
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
  for (int i = 1; i <= nfiles; ++i) {
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
  auto tar = [&](int level) {
    std::string out = absl::StrCat(work, "/tar", level, ".tgz");
    return TimeShell(
        absl::StrFormat("tar -C '%s' -I 'gzip -%d' -cf '%s' . && sync -f '%s'",
                        src, level, out, out));
  };
  std::vector<double> ours6, ours9, tar6, tar9, py_tar;
  for (int i = 0; i < reps; ++i) {
    ours6.push_back(ours(6));
    tar6.push_back(tar(6));
    ours9.push_back(ours(9));
    tar9.push_back(tar(9));
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
  const double xmb = static_cast<double>(xml_bytes) / 1e6;
  std::printf("2. %d XML files, %.1f MB, into one .tgz\n", nfiles, xmb);
  std::printf("   %-44s %8s %10s %10s %12s\n", "", "seconds", "MB/s", "vs tar",
              "vs Python");
  auto trow = [&](const char* name, double s, double tar_s, double py_s) {
    std::printf("   %-44s %8.3f %10.1f %10s %12s\n", name, s,
                s > 0 ? xmb / s : 0, Ratio(tar_s, s).c_str(),
                Ratio(py_s, s).c_str());
  };
  double pt = Median(py_tar);
  trow("tar czf (gzip -6)", Median(tar6), Median(tar6), -1);
  trow("C++ TarGzWriter level 6", Median(ours6), Median(tar6), -1);
  trow("tar with gzip -9", Median(tar9), Median(tar9), pt);
  if (have_py)
    trow("Python seed tar_xml (tarfile, level 9)", pt, Median(tar9), pt);
  trow("C++ TarGzWriter level 9", Median(ours9), Median(tar9), pt);
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
      {.user = "",
       .password = "",
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

// The thread count of process `pid` now (from /proc), or 0.
int ThreadsOf(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    absl::string_view v = line;
    if (absl::ConsumePrefix(&v, "Threads:")) {
      int n = 0;
      return absl::SimpleAtoi(absl::StripAsciiWhitespace(v), &n) ? n : 0;
    }
  }
  return 0;
}

void ScaleSection(const Bench& b) {
  const int pages = absl::GetFlag(FLAGS_scale_pages);
  if (pages <= 0) return;
  const int page_size = absl::GetFlag(FLAGS_page_size);
  std::unique_ptr<concurrency::http::HttpServer> feed =
      StartOpenFeed(pages, page_size);
  const std::string out = b.work + "/scale";
  std::vector<std::string> args = {
      b.pipeline,
      "--quiet",
      absl::StrCat("--pages=", pages),
      absl::StrCat("--page_size=", page_size),
      absl::StrCat("--out_dir=", out),
      absl::StrCat("--url=", feed->base_url(),
                   "/prices.csv?page_size={page_size}&page_number={page}")};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const absl::Time start = absl::Now();
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) {
    Die(absl::InternalError("posix_spawn pipeline"));
  }
  posix_spawn_file_actions_destroy(&fa);
  std::atomic<bool> done{false};
  std::atomic<int> peak_threads{0};
  std::thread sampler([&] {
    while (!done.load()) {
      peak_threads = std::max(peak_threads.load(), ThreadsOf(pid));
      absl::SleepFor(absl::Milliseconds(2));
    }
  });
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  done = true;
  sampler.join();
  std::printf(
      "4. At scale: %d pages x %d rows, %s per response, default flags\n"
      "   %.2f s (%.0f pages/s), exit status %d, peak %d threads, peak RSS "
      "%ld MB\n\n",
      pages, page_size,
      absl::FormatDuration(absl::GetFlag(FLAGS_delay)).c_str(), seconds,
      pages / seconds, WEXITSTATUS(status), peak_threads.load(),
      ru.ru_maxrss / 1024);
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
  std::printf("scratch: %s\n\n", b.work.c_str());
  const std::string sections = absl::GetFlag(FLAGS_sections);
  auto wanted = [&](absl::string_view name) {
    return absl::StrContains(sections, name);
  };
  if (wanted("convert")) ConverterSection(b);
  if (wanted("tar")) TarSection(b);
  if (wanted("e2e")) EndToEndSection(b);
  if (wanted("scale")) ScaleSection(b);
  if (own_work && system(absl::StrCat("rm -rf '", b.work, "'").c_str()) != 0) {
    std::fprintf(stderr, "could not remove %s\n", b.work.c_str());
  }
  return 0;
}
