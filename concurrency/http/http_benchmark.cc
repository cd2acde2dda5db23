// What a connection costs HttpServer, and how many short requests it
// answers, beside the peers, in one run:
//
// 1. Silent connections: --silent connections that send part of a head and
//    then nothing (and as many idle kept-alive ones), held at once by a
//    client process of their own. Printed: the server process's RSS growth
//    and thread count, before and after, for our server and for the Python
//    anchors' csv_server.py (ThreadingHTTPServer, a thread per connection).
// 2. Short requests per second, by Debian's `wrk` (--wrk_seconds, 2
//    threads, 64 connections), keep-alive and with `Connection: close`,
//    against: our /stats-sized answer from a loop handler and from a pool
//    handler; Debian's nginx serving a file of the same bytes (one worker,
//    as our server has one loop thread); and csv_server.py's /__stats.
//
// Run it with concurrency/http/benchmark.sh (which installs wrk and nginx
// first), or:
//   bazel run -c opt //concurrency/http:http_benchmark
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "concurrency/http/server.h"
#include "tools/testing/proc_status.h"
#include "tools/testing/silent_clients.h"

ABSL_FLAG(int, silent, 10000, "Silent connections held at once.");
ABSL_FLAG(int, wrk_seconds, 5, "Seconds of each wrk run.");
ABSL_FLAG(std::string, hold, "",
          "Internal, for the benchmark's own client process: PORT,N,KIND "
          "(KIND partial or idle) opens the silent connections, prints "
          "'ready', and holds them until its stdin closes.");
ABSL_FLAG(std::string, python_dir, "",
          "The Python anchors (default: ../shared/anchors/python from the "
          "workspace).");

namespace {

using concurrency::http::HttpRequest;
using concurrency::http::HttpResponse;
using concurrency::http::HttpServer;

extern "C" char** environ;

// The size of a small /stats answer.
const std::string kBody(200, 'x');

// VmRSS (KiB) and Threads of process `pid` ("self" for this one).
struct Usage {
  int64_t rss_kib = 0;
  int64_t threads = 0;
};

Usage UsageOf(const std::string& pid) {
  return {testing_util::ProcStatusField(pid, "VmRSS:"),
          testing_util::ProcStatusField(pid, "Threads:")};
}

// A child process, its output discarded, killed (by pid) and reaped when
// this goes.
class Child {
 public:
  explicit Child(std::vector<std::string> argv) {
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    // Its output (the Python server prints its port) stays out of the table.
    posix_spawn_file_actions_t quiet;
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&pid_, args[0], &quiet, nullptr, args.data(), environ) !=
        0) {
      pid_ = 0;
    }
    posix_spawn_file_actions_destroy(&quiet);
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = 0;
};

// N silent connections held by a child process (this binary with --hold),
// so that the server's process holds only its own ends. Released when this
// goes.
class HeldConnections {
 public:
  HeldConnections(int port, int n, bool idle) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::string self = "/proc/self/exe";
    std::string hold =
        absl::StrCat("--hold=", port, ",", n, ",", idle ? "idle" : "partial");
    char* argv[] = {self.data(), hold.data(), nullptr};
    if (posix_spawn(&pid_, self.c_str(), &actions, nullptr, argv, environ) !=
        0) {
      pid_ = 0;
    }
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);
    to_child_ = in[1];
    char line[16] = {};
    ready_ = read(out[0], line, sizeof line - 1) > 0 &&
             absl::StartsWith(line, "ready");
    close(out[0]);
  }
  ~HeldConnections() {
    if (to_child_ >= 0) close(to_child_);  // the child's cue to let go
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
  }
  bool ready() const { return ready_; }

 private:
  pid_t pid_ = 0;
  int to_child_ = -1;
  bool ready_ = false;
};

// --hold: the client process of HeldConnections.
int Hold(const std::string& spec) {
  std::vector<std::string> f = absl::StrSplit(spec, ',');
  int port = 0, n = 0;
  if (f.size() != 3 || !absl::SimpleAtoi(f[0], &port) ||
      !absl::SimpleAtoi(f[1], &n) ||
      !testing_util::RaiseFdLimit(static_cast<rlim_t>(n) + 100)) {
    return 1;
  }
  const bool idle = f[2] == "idle";
  std::optional<testing_util::SilentClients> held =
      testing_util::SilentClients::Open(
          port, n,
          idle ? "GET /stats HTTP/1.1\r\n\r\n" : "GET / HTTP/1.1\r\nX-a: ",
          idle);
  if (!held) return 1;
  std::printf("ready\n");
  std::fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  return 0;
}

// Waits until 127.0.0.1:`port` accepts a connection (at most 10 s).
bool WaitForPort(int port) {
  for (int i = 0; i < 1000; ++i) {
    if (testing_util::ConnectLoopback(port).valid()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

int FreePort() {
  HttpServer probe({});
  if (!probe.Start().ok()) return 0;
  return probe.port();
}

// Requests per second that wrk measured at `url`, or nullopt.
std::optional<double> Wrk(const std::string& url, bool keep_alive) {
  const std::string cmd = absl::StrFormat(
      "wrk -t2 -c64 -d%ds %s '%s' 2>&1", absl::GetFlag(FLAGS_wrk_seconds),
      keep_alive ? "" : "-H 'Connection: close'", url);
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return std::nullopt;
  std::optional<double> rps;
  char line[512];
  while (std::fgets(line, sizeof line, p) != nullptr) {
    absl::string_view v = line;
    double x;
    if (absl::ConsumePrefix(&v, "Requests/sec:") &&
        absl::SimpleAtod(absl::StripAsciiWhitespace(v), &x)) {
      rps = x;
    }
  }
  pclose(p);
  return rps;
}

std::string Rps(std::optional<double> r) {
  return r ? absl::StrFormat("%.0f", *r) : "n/a";
}

std::string Ratio(std::optional<double> a, std::optional<double> b) {
  return a && b && *b > 0 ? absl::StrFormat("%.2fx", *a / *b) : "n/a";
}

void SilentSection(const std::string& py_dir) {
  const int n = absl::GetFlag(FLAGS_silent);
  std::printf("\n## %d silent connections held at once\n\n", n);
  std::printf(
      "| server | connections | RSS before | RSS after | "
      "growth per connection | threads before | threads after |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- |\n");
  auto row = [&](const char* name, const char* kind, Usage before,
                 Usage after) {
    std::printf("| %s | %s | %.1f MiB | %.1f MiB | %.2f KiB | %lld | %lld |\n",
                name, kind, before.rss_kib / 1024.0, after.rss_kib / 1024.0,
                static_cast<double>(after.rss_kib - before.rss_kib) / n,
                static_cast<long long>(before.threads),
                static_cast<long long>(after.threads));
  };
  for (bool idle : {false, true}) {
    HttpServer::Options o;
    o.max_connections = n + 100;
    o.limits.head_timeout = absl::Hours(1);
    o.idle_timeout = absl::Hours(1);
    HttpServer server(o);
    server.Handle("GET", "/stats", [](const HttpRequest&) {
      return concurrency::http::TextResponse(200, kBody);
    });
    if (!server.Start().ok()) return;
    const Usage before = UsageOf("self");
    HeldConnections held(server.port(), n, idle);
    while (held.ready() && server.connections() < n) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    if (!held.ready() || server.connections() < n) {
      std::printf("| HttpServer | could not hold %d connections | | | | | |\n",
                  n);
      continue;
    }
    row("HttpServer", idle ? "idle kept-alive" : "partial head", before,
        UsageOf("self"));
  }
  if (py_dir.empty()) return;
  const int port = FreePort();
  Child py({"/usr/bin/python3", absl::StrCat(py_dir, "/csv_server.py"),
            "--port", absl::StrCat(port)});
  if (py.pid() <= 0 || !WaitForPort(port)) {
    std::printf("| csv_server.py | n/a | | | | | |\n");
    return;
  }
  const std::string pid = absl::StrCat(py.pid());
  const Usage before = UsageOf(pid);
  HeldConnections held(port, n, /*idle=*/false);
  // A thread per connection: wait until they all exist (at most 60 s).
  Usage after = UsageOf(pid);
  for (int i = 0; i < 6000 && held.ready() && after.threads < n; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
    after = UsageOf(pid);
  }
  row("csv_server.py (Python)", "partial head", before, after);
}

void RequestsSection(const std::string& py_dir) {
  std::printf("\n## Short requests per second (wrk -t2 -c64, %d s each)\n\n",
              absl::GetFlag(FLAGS_wrk_seconds));
  HttpServer::Options o;
  o.threads = 2;
  HttpServer server(o);
  auto stats = [](const HttpRequest&) {
    HttpResponse r;
    r.content_type = "application/json";
    r.body = kBody;
    return r;
  };
  server.Handle("GET", "/stats", stats, HttpServer::RunOn::kLoop);
  server.Handle("GET", "/stats_pool", stats);
  if (!server.Start().ok()) return;
  const std::string ours = server.base_url();

  // nginx, one worker, a file of the same bytes, on loopback.
  char dir_template[] = "/tmp/http_benchmark.XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  std::ofstream(dir + "/stats") << kBody;
  const int nginx_port = FreePort();
  std::ofstream(dir + "/nginx.conf") << absl::StrFormat(
      "daemon off; master_process off; worker_processes 1;\n"
      "pid %s/nginx.pid; error_log %s/error.log;\n"
      "events { worker_connections 1024; }\n"
      "http { access_log off; keepalive_requests 1000;\n"
      "  server { listen 127.0.0.1:%d; root %s;\n"
      "    location / { default_type application/json; } } }\n",
      dir, dir, nginx_port, dir);
  Child nginx({"nginx", "-p", dir, "-c", dir + "/nginx.conf"});
  const bool nginx_up = nginx.pid() > 0 && WaitForPort(nginx_port);

  std::optional<Child> py;
  int py_port = 0;
  if (!py_dir.empty()) {
    py_port = FreePort();
    py.emplace(std::vector<std::string>{"/usr/bin/python3",
                                        absl::StrCat(py_dir, "/csv_server.py"),
                                        "--port", absl::StrCat(py_port)});
    if (!WaitForPort(py_port)) py_port = 0;
  }

  std::printf("| server | keep-alive | requests/s | vs nginx | vs Python |\n");
  std::printf("| --- | --- | --- | --- | --- |\n");
  for (bool keep : {true, false}) {
    const std::optional<double> nginx_rps =
        nginx_up ? Wrk(absl::StrFormat("http://127.0.0.1:%d/stats", nginx_port),
                       keep)
                 : std::nullopt;
    const std::optional<double> py_rps =
        py_port > 0
            ? Wrk(absl::StrFormat("http://127.0.0.1:%d/__stats", py_port), keep)
            : std::nullopt;
    const std::optional<double> loop_rps = Wrk(ours + "/stats", keep);
    const std::optional<double> pool_rps = Wrk(ours + "/stats_pool", keep);
    const char* k = keep ? "yes" : "no";
    std::printf("| HttpServer, loop handler | %s | %s | %s | %s |\n", k,
                Rps(loop_rps).c_str(), Ratio(loop_rps, nginx_rps).c_str(),
                Ratio(loop_rps, py_rps).c_str());
    std::printf("| HttpServer, pool handler | %s | %s | %s | %s |\n", k,
                Rps(pool_rps).c_str(), Ratio(pool_rps, nginx_rps).c_str(),
                Ratio(pool_rps, py_rps).c_str());
    std::printf(
        "| nginx 1.22, 1 worker, static file | %s | %s | 1.00x | %s |\n", k,
        Rps(nginx_rps).c_str(), Ratio(nginx_rps, py_rps).c_str());
    std::printf("| csv_server.py /__stats (Python) | %s | %s | %s | 1.00x |\n",
                k, Rps(py_rps).c_str(), Ratio(py_rps, nginx_rps).c_str());
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "HttpServer: silent connections' cost and short requests per second, "
      "beside nginx and the Python anchors (needs wrk and nginx).");
  absl::ParseCommandLine(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  if (!absl::GetFlag(FLAGS_hold).empty())
    return Hold(absl::GetFlag(FLAGS_hold));
  // The server's ends of the silent connections (the clients' are held by a
  // child process).
  if (!testing_util::RaiseFdLimit(absl::GetFlag(FLAGS_silent) + 1000)) {
    std::fprintf(stderr,
                 "http_benchmark: RLIMIT_NOFILE too low for --silent\n");
    return 1;
  }
  std::string py = absl::GetFlag(FLAGS_python_dir);
  if (py.empty()) {
    const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY");
    py = absl::StrCat(ws ? ws : ".", "/../shared/anchors/python");
  }
  if (access((py + "/csv_server.py").c_str(), R_OK) != 0) {
    std::printf("Python anchors not found in %s: no Python rows.\n",
                py.c_str());
    py.clear();
  }
  std::printf("# http_benchmark, %d cores\n",
              static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
  SilentSection(py);
  RequestsSection(py);
  return 0;
}
