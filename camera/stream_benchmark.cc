// Load client and benchmark for MJPEG streamers.
//
//   bazel run -c opt //camera:stream_benchmark                 # C++ vs Python,
//   N = 1, 10, 100 bazel run -c opt //camera:stream_benchmark --
//   --url=http://127.0.0.1:9000/stream --clients=50
//
// The load client opens N concurrent streams on loopback from one epoll
// thread (so that the client is not the bottleneck), parses the multipart
// stream by Content-Length, and reports per-client frames per second, the
// share of frames skipped (from X-Frame-Number, which the C++ server sends;
// the Python one does not), and the server's CPU time from /proc.
//
// With no --url it runs the comparison at N = 1, 10, 100, 1000: this
// package's `streamer` (test pattern) in both serving modes, the bare send()
// floor (the same bytes written by a minimal epoll loop: RunFloorServer) and
// the tutorial's Python streamer (../shared/anchors/python/seed/
// mjpeg_streamer.py, its synthetic 640x480 source, up to N = 100: it takes a
// thread per client), all at 30 fps and JPEG quality 40, each started fresh
// for every N. --plot_data feeds plot_benchmark.sh.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
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
#include "absl/time/time.h"
#include "concurrency/io/scoped_fd.h"

extern char** environ;

ABSL_FLAG(std::string, url, "",
          "Stream to load (http://127.0.0.1:PORT/PATH). Empty: compare the C++ "
          "and Python streamers.");
ABSL_FLAG(int, clients, 10, "Concurrent streams (with --url).");
ABSL_FLAG(int, server_pid, 0, "Server process for CPU time (with --url).");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5), "Measurement window.");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(1), "Time before measuring.");
ABSL_FLAG(std::string, counts, "1,10,100,1000", "N values for the comparison.");
ABSL_FLAG(int, reps, 3,
          "Runs of the C++ event loop and of the send() floor at each N, "
          "alternated; the ratio is of their medians.");
ABSL_FLAG(int64_t, floor_server, 0,
          "Internal: run the bare send() floor server with JPEGs of this many "
          "bytes.");
ABSL_FLAG(std::string, plot_data, "",
          "Append 'server N mean_fps cpu_us_per_frame' lines to this file "
          "(for plot_benchmark.sh).");
ABSL_FLAG(std::string, python_dir, "",
          "The Python anchors (default: ../shared/anchors/python from the "
          "workspace).");

namespace {

struct Conn {
  concurrency::io::ScopedFd fd;
  std::string buf;
  bool head_done = false;
  size_t need = 0;  // bytes of the current JPEG still to read
  bool in_body = false;
  int64_t frames = 0;      // in the window
  int64_t skipped = 0;     // in the window
  int64_t jpeg_bytes = 0;  // in the window
  int64_t last_number = 0;
  bool closed = false;
};

struct LoadResult {
  int clients = 0;
  int connected = 0;
  double min_fps = 0, mean_fps = 0, max_fps = 0;
  double skipped_share = -1;  // -1: unknown
  double server_cpu_s = -1;
  double server_sys_s = -1;
  int64_t frames = 0;
  int64_t jpeg_bytes = 0;
};

struct Cpu {
  double user = -1, sys = -1;
};

Cpu ProcessCpu(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(in, line)) return {};
  // Fields after the ")" of the command name: state is field 3; utime 14,
  // stime 15.
  std::vector<std::string> f =
      absl::StrSplit(line.substr(line.rfind(')') + 2), ' ');
  double ut = 0, st = 0;
  if (f.size() < 13 || !absl::SimpleAtod(f[11], &ut) ||
      !absl::SimpleAtod(f[12], &st)) {
    return {};
  }
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  return {ut / tick, st / tick};
}

// Consumes `n` bytes that arrived on one connection; counts frames if
// `counting`. JPEG bytes are skipped where they lie, never copied: only part
// heads (under 200 bytes) are gathered, so that the client, which shares the
// machine with the server, costs little more than its recv() calls.
void Consume(Conn& c, const char* p, size_t n, bool counting) {
  constexpr size_t kMaxHead = 16 << 10;
  while (n > 0) {
    if (c.in_body) {
      const size_t take = std::min(c.need, n);
      p += take;
      n -= take;
      c.need -= take;
      if (c.need > 0) return;
      c.in_body = false;
      if (counting) ++c.frames;
      continue;
    }
    // A part head; skip the CRLF (or CRLFs, as other servers send) left
    // after the previous JPEG.
    while (c.buf.empty() && n > 0 && (*p == '\r' || *p == '\n')) {
      ++p;
      --n;
    }
    if (n == 0) return;
    const size_t old = c.buf.size();
    const size_t take = std::min(n, size_t{512});
    c.buf.append(p, take);
    const size_t end = c.buf.find("\r\n\r\n", old >= 3 ? old - 3 : 0);
    if (end == std::string::npos) {
      p += take;
      n -= take;
      if (c.buf.size() > kMaxHead) c.closed = true;  // not a stream
      if (c.closed) return;
      continue;
    }
    const size_t used = end + 4 - old;  // of this chunk, the rest is body
    p += used;
    n -= used;
    absl::string_view head(c.buf.data(), end);
    if (!c.head_done) {  // the response head
      c.head_done = true;
      c.buf.clear();
      continue;
    }
    size_t len = 0;
    int64_t number = 0;
    for (absl::string_view line : absl::StrSplit(head, "\r\n")) {
      if (absl::ConsumePrefix(&line, "Content-Length: "))
        (void)absl::SimpleAtoi(line, &len);
      if (absl::ConsumePrefix(&line, "X-Frame-Number: "))
        (void)absl::SimpleAtoi(line, &number);
    }
    c.buf.clear();
    if (number > 0) {
      if (counting && c.last_number > 0)
        c.skipped += number - c.last_number - 1;
      c.last_number = number;
    }
    c.need = len;
    c.in_body = true;
    if (counting) c.jpeg_bytes += static_cast<int64_t>(len);
  }
}

LoadResult RunLoad(int port, const std::string& path, int n, int server_pid,
                   absl::Duration warmup, absl::Duration duration) {
  LoadResult r;
  r.clients = n;
  concurrency::io::ScopedFd ep(epoll_create1(EPOLL_CLOEXEC));
  std::vector<Conn> conns(static_cast<size_t>(n));
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  for (int i = 0; i < n; ++i) {
    Conn& c = conns[i];
    c.fd.Reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (connect(c.fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        send(c.fd.get(), request.data(), request.size(), MSG_NOSIGNAL) < 0) {
      c.closed = true;
      continue;
    }
    fcntl(c.fd.get(), F_SETFL, O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(i);
    epoll_ctl(ep.get(), EPOLL_CTL_ADD, c.fd.get(), &ev);
  }
  const absl::Time start = absl::Now();
  const absl::Time measure = start + warmup;
  const absl::Time end = measure + duration;
  Cpu cpu0;
  bool counting = false;
  std::vector<epoll_event> events(256);
  std::vector<char> buf(1 << 16);
  while (absl::Now() < end) {
    if (!counting && absl::Now() >= measure) {
      counting = true;
      if (server_pid > 0) cpu0 = ProcessCpu(server_pid);
    }
    int k = epoll_wait(ep.get(), events.data(), static_cast<int>(events.size()),
                       50);
    for (int e = 0; e < k; ++e) {
      Conn& c = conns[events[e].data.u32];
      while (true) {
        ssize_t got = recv(c.fd.get(), buf.data(), buf.size(), 0);
        if (got > 0) {
          Consume(c, buf.data(), static_cast<size_t>(got), counting);
          continue;
        }
        if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
          c.closed = true;
          epoll_ctl(ep.get(), EPOLL_CTL_DEL, c.fd.get(), nullptr);
        }
        break;
      }
    }
  }
  if (cpu0.user >= 0) {
    Cpu cpu1 = ProcessCpu(server_pid);
    r.server_cpu_s = (cpu1.user + cpu1.sys) - (cpu0.user + cpu0.sys);
    r.server_sys_s = cpu1.sys - cpu0.sys;
  }
  const double secs = absl::ToDoubleSeconds(duration);
  r.min_fps = 1e9;
  int64_t skipped = 0;
  bool numbered = false;
  for (Conn& c : conns) {
    if (c.head_done) ++r.connected;
    double fps = static_cast<double>(c.frames) / secs;
    r.min_fps = std::min(r.min_fps, fps);
    r.max_fps = std::max(r.max_fps, fps);
    r.mean_fps += fps / n;
    r.frames += c.frames;
    r.jpeg_bytes += c.jpeg_bytes;
    skipped += c.skipped;
    numbered = numbered || c.last_number > 0;
  }
  if (numbered && r.frames + skipped > 0) {
    r.skipped_share =
        static_cast<double>(skipped) / static_cast<double>(r.frames + skipped);
  }
  return r;
}

// The floor: what serving the same bytes costs with nothing but the kernel's
// work. A minimal epoll loop accepts streams on loopback, answers each with
// the multipart head, and every 1/30 s sends every client one part of
// `jpeg_bytes` bytes (non-blocking; a client still sending the previous part
// skips this one). Runs until SIGINT or SIGTERM.
int RunFloorServer(size_t jpeg_bytes) {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  concurrency::io::ScopedFd sig(
      signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK));
  concurrency::io::ScopedFd listener(
      socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  if (bind(listener.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      listen(listener.get(), 4096) != 0 ||
      getsockname(listener.get(), reinterpret_cast<sockaddr*>(&a), &alen) !=
          0) {
    return 1;
  }
  std::printf("floor on http://127.0.0.1:%d/\n", ntohs(a.sin_port));
  std::fflush(stdout);
  concurrency::io::ScopedFd ep(epoll_create1(EPOLL_CLOEXEC));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = UINT64_MAX;
  epoll_ctl(ep.get(), EPOLL_CTL_ADD, listener.get(), &ev);
  ev.data.u64 = UINT64_MAX - 1;
  epoll_ctl(ep.get(), EPOLL_CTL_ADD, sig.get(), &ev);
  struct Client {
    concurrency::io::ScopedFd fd;
    std::shared_ptr<const std::string> part;  // being sent
    size_t sent = 0;
  };
  std::vector<Client> clients;
  const std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; "
      "boundary=frame\r\n\r\n";
  const std::string jpeg(jpeg_bytes, 'j');
  auto flush = [&](Client& c) {
    while (c.part != nullptr && c.sent < c.part->size()) {
      ssize_t n = send(c.fd.get(), c.part->data() + c.sent,
                       c.part->size() - c.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n <= 0) return;
      c.sent += static_cast<size_t>(n);
    }
    c.part = nullptr;
  };
  const absl::Duration period = absl::Seconds(1) / 30;
  absl::Time next = absl::Now() + period;
  int64_t number = 0;
  std::vector<epoll_event> events(256);
  while (true) {
    const int wait_ms = static_cast<int>(
        std::max<int64_t>(0, absl::ToInt64Milliseconds(next - absl::Now())));
    const int k = epoll_wait(ep.get(), events.data(),
                             static_cast<int>(events.size()), wait_ms);
    for (int e = 0; e < k; ++e) {
      const uint64_t id = events[e].data.u64;
      if (id == UINT64_MAX - 1) return 0;  // a stop signal
      if (id == UINT64_MAX) {
        while (true) {
          int fd = accept4(listener.get(), nullptr, nullptr,
                           SOCK_CLOEXEC | SOCK_NONBLOCK);
          if (fd < 0) break;
          Client c;
          c.fd.Reset(fd);
          char request[4096];
          (void)recv(fd, request, sizeof request, 0);  // one short GET
          c.part = std::make_shared<const std::string>(head);
          flush(c);
          epoll_event cev{};
          cev.events = EPOLLOUT | EPOLLET;
          cev.data.u64 = clients.size();
          epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd, &cev);
          clients.push_back(std::move(c));
        }
        continue;
      }
      if (id < clients.size()) flush(clients[id]);
    }
    if (absl::Now() < next) continue;
    next += period;
    auto part = std::make_shared<const std::string>(absl::StrCat(
        "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: ", jpeg.size(),
        "\r\nX-Frame-Number: ", ++number, "\r\n\r\n", jpeg, "\r\n"));
    for (Client& c : clients) {
      if (c.part != nullptr) continue;  // still sending: this frame is skipped
      c.part = part;
      c.sent = 0;
      flush(c);
    }
  }
}

// A server process whose stdout's first line names its port.
struct Server {
  pid_t pid = -1;
  int port = 0;
};

Server Spawn(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return {};
  concurrency::io::ScopedFd out[2] = {concurrency::io::ScopedFd(fds[0]),
                                      concurrency::io::ScopedFd(fds[1])};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1].get(), 1);
  // The servers' own warnings (OpenCV's, Python's KeyboardInterrupt at the
  // end) would interleave with the table.
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  Server s;
  if (posix_spawnp(&s.pid, args[0], &fa, nullptr, args.data(), environ) != 0) {
    s.pid = -1;
  }
  posix_spawn_file_actions_destroy(&fa);
  out[1].Reset();
  std::string line;
  char c;
  while (line.find('\n') == std::string::npos && read(out[0].get(), &c, 1) == 1)
    line.push_back(c);
  out[0].Reset();
  // "... http://127.0.0.1:PORT..." in both banners.
  size_t at = line.find("127.0.0.1:");
  if (at != std::string::npos) {
    (void)absl::SimpleAtoi(
        absl::string_view(line).substr(
            at + 10, line.find_first_not_of("0123456789", at + 10) - at - 10),
        &s.port);
  }
  return s;
}

void Stop(Server& s) {
  if (s.pid <= 0) return;
  kill(s.pid, SIGINT);
  int status;
  for (int i = 0; i < 50 && waitpid(s.pid, &status, WNOHANG) == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  if (waitpid(s.pid, &status, WNOHANG) == 0) {
    kill(s.pid, SIGKILL);
    waitpid(s.pid, &status, 0);
  }
  s.pid = -1;
}

// Server CPU microseconds per delivered frame; -1 if unknown.
double CpuPerFrame(const LoadResult& r) {
  return r.frames > 0 && r.server_cpu_s >= 0
             ? 1e6 * r.server_cpu_s / static_cast<double>(r.frames)
             : -1;
}

// The run with the median CPU per frame.
LoadResult Median(std::vector<LoadResult> runs) {
  if (runs.empty()) return {};
  std::sort(runs.begin(), runs.end(),
            [](const LoadResult& a, const LoadResult& b) {
              return CpuPerFrame(a) < CpuPerFrame(b);
            });
  return runs[runs.size() / 2];
}

void Plot(const std::string& who, const LoadResult& r) {
  const std::string path = absl::GetFlag(FLAGS_plot_data);
  if (path.empty() || r.frames == 0 || r.server_cpu_s < 0) return;
  FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) return;
  std::fprintf(f, "%s\t%d\t%.2f\t%.2f\n", who.c_str(), r.clients, r.mean_fps,
               1e6 * r.server_cpu_s / static_cast<double>(r.frames));
  std::fclose(f);
}

void PrintRow(const char* who, const LoadResult& r) {
  std::printf("%-8s %5d %9d %8.1f %8.1f %8.1f %9s %10.2f %8.2f %14s\n", who,
              r.clients, r.connected, r.min_fps, r.mean_fps, r.max_fps,
              r.skipped_share < 0
                  ? "n/a"
                  : absl::StrFormat("%.1f%%", 100 * r.skipped_share).c_str(),
              r.server_cpu_s, r.server_sys_s,
              CpuPerFrame(r) >= 0
                  ? absl::StrFormat("%.1f", CpuPerFrame(r)).c_str()
                  : "-");
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Opens N concurrent MJPEG streams and reports per-client fps, skipped "
      "frames and server CPU; with no --url, compares the C++ and Python "
      "streamers at N = 1, 10, 100.");
  absl::ParseCommandLine(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  if (const int64_t bytes = absl::GetFlag(FLAGS_floor_server); bytes > 0) {
    return RunFloorServer(static_cast<size_t>(bytes));
  }
  // 1,000 streams need more than the default 1,024 descriptors (servers
  // inherit the limit).
  rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  const absl::Duration warmup = absl::GetFlag(FLAGS_warmup);
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  const int reps = std::max(1, absl::GetFlag(FLAGS_reps));
  std::printf("%-11s %5s %9s %8s %8s %8s %9s %10s %8s %14s\n", "server", "N",
              "connected", "min fps", "mean fps", "max fps", "skipped",
              "server CPU", "of it sys", "CPU us/frame");

  if (const std::string url = absl::GetFlag(FLAGS_url); !url.empty()) {
    absl::string_view rest = url;
    int port = 0;
    if (!absl::ConsumePrefix(&rest, "http://127.0.0.1:")) {
      std::fprintf(
          stderr, "--url must be http://127.0.0.1:PORT/PATH (loopback only)\n");
      return 2;
    }
    size_t slash = rest.find('/');
    if (!absl::SimpleAtoi(rest.substr(0, slash), &port)) return 2;
    std::string path(slash == absl::string_view::npos ? "/"
                                                      : rest.substr(slash));
    PrintRow("given",
             RunLoad(port, path, absl::GetFlag(FLAGS_clients),
                     absl::GetFlag(FLAGS_server_pid), warmup, duration));
    return 0;
  }

  std::string py = absl::GetFlag(FLAGS_python_dir);
  if (py.empty()) {
    const char* ws = getenv("BUILD_WORKSPACE_DIRECTORY");
    py = absl::StrCat(ws ? ws : ".", "/../shared/anchors/python");
  }
  const bool have_py =
      access((py + "/seed/mjpeg_streamer.py").c_str(), R_OK) == 0;
  if (!have_py)
    std::printf("(Python anchors not found in %s: C++ only)\n", py.c_str());
  const std::string self = argv[0];
  const std::string streamer = self.substr(0, self.rfind('/') + 1) + "streamer";
  for (absl::string_view count :
       absl::StrSplit(absl::GetFlag(FLAGS_counts), ',')) {
    int n = 0;
    if (!absl::SimpleAtoi(count, &n) || n < 1) continue;
    auto run_streamer = [&](const char* serving) {
      Server cpp = Spawn({streamer, "--source=test", "--port=0", "--width=640",
                          "--height=480", "--fps=30", "--quality=40",
                          absl::StrCat("--serving=", serving),
                          absl::StrCat("--max_clients=", std::max(100, n))});
      LoadResult r;
      if (cpp.port > 0) {
        r = RunLoad(cpp.port, "/stream", n, cpp.pid, warmup, duration);
      }
      Stop(cpp);
      return r;
    };
    // The event loop and the floor, alternated on fresh processes: single
    // runs on this VM move by tens of percent, so the ratio is the medians'.
    std::vector<LoadResult> loops, floors;
    int64_t jpeg_size = 0;
    for (int rep = 0; rep < reps; ++rep) {
      loops.push_back(run_streamer("loop"));
      PrintRow("C++ loop", loops.back());
      if (jpeg_size == 0 && loops.back().frames > 0) {
        jpeg_size = loops.back().jpeg_bytes / loops.back().frames;
      }
      // The floor, with the C++ streamer's mean JPEG size at this N.
      Server floor =
          Spawn({self, absl::StrCat("--floor_server=",
                                    std::max<int64_t>(jpeg_size, 1))});
      floors.push_back(floor.port > 0 ? RunLoad(floor.port, "/", n, floor.pid,
                                                warmup, duration)
                                      : LoadResult{});
      Stop(floor);
      PrintRow("send()", floors.back());
    }
    const LoadResult loop = Median(loops), bare = Median(floors);
    Plot("C++ loop", loop);
    Plot("send()", bare);
    if (CpuPerFrame(loop) > 0 && CpuPerFrame(bare) > 0) {
      std::printf(
          "  N = %d, median of %d: C++ loop %.1f us/frame at %.1f fps mean, "
          "send() floor %.1f us/frame at %.1f fps: %.2fx the floor\n",
          n, reps, CpuPerFrame(loop), loop.mean_fps, CpuPerFrame(bare),
          bare.mean_fps, CpuPerFrame(loop) / CpuPerFrame(bare));
    }
    const LoadResult threads = run_streamer("threads");
    PrintRow("C++ threads", threads);
    Plot("C++ threads", threads);
    if (have_py && n <= 100) {  // a thread per client: 1,000 is beyond it
      // The seed's pool of 3 threads serves 3 clients; give it one per client.
      Server p =
          Spawn({"/usr/bin/python3", py + "/seed/mjpeg_streamer.py", "--port",
                 "0", "--thread-n", absl::StrCat(n + 5), "--fps", "30"});
      if (p.port > 0) {
        const LoadResult r = RunLoad(p.port, "/", n, p.pid, warmup, duration);
        PrintRow("Python", r);
        Plot("Python", r);
      }
      Stop(p);
    }
  }
  return 0;
}
