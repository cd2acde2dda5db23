// The streamer at high resolutions: its JPEG encoders and MJPEG passthrough.
//
//   bazel run -c opt //camera:encode_benchmark
//   camera/plot_encoders.sh          # the same, kept in encoders.txt and
//                                    # drawn as encoders.svg
//
// In one run:
//  1. JPEG encode time per frame of the test pattern at 640x480, 1920x1080
//     and 3840x2160, quality 40 (the default) and 80, on one thread and on
//     two at once (what --encoders=1 and 2 give the capturer), against the
//     machine's limit for the same pixels: one memcpy of the picture.
//  2. The streamer (--source=test) at 2560x1440 and 60 fps with quality 80,
//     and 3840x2160 and 30 fps at the default quality, with --encoders=1 and
//     2, each with 10 clients (stream_benchmark --url measures the clients'
//     side): frames captured per second (/stats), frames each client got per
//     second, frames skipped, and the server's CPU.
//  3. MJPEG passthrough at 1920x1080 and 3840x2160: an MJPEG AVI of test
//     pattern frames, made with ffmpeg -c copy, streamed with --format=mjpeg
//     to one client, against the same resolution encoded from the test
//     pattern (--format=raw): the server's CPU per frame.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
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
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "camera/frame_source.h"
#include "concurrency/io/scoped_fd.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"

ABSL_FLAG(int, frames, 48, "Frames encoded per figure of part 1.");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(5),
          "Load window of part 2 (part 3 takes twice as long: its CPU per "
          "frame is small, and /proc counts CPU in ticks).");
ABSL_FLAG(std::string, sections, "encode,stream,passthrough",
          "Which parts to run, comma-separated.");
ABSL_FLAG(std::string, plot_data, "",
          "Append 'encode<TAB>pixels<TAB>threads<TAB>ms per frame' lines "
          "(quality 80; threads 0: the memcpy) to this file, for "
          "plot_encoders.sh.");

namespace {

struct Size {
  int width, height;
};

double Seconds(absl::Time since) {
  return absl::ToDoubleSeconds(absl::Now() - since);
}

// Part 1: milliseconds per frame when `threads` threads encode `frames`
// frames between them (wall time / frames).
double EncodeMs(const std::vector<cv::Mat>& pictures, int quality, int threads,
                int frames) {
  const absl::Time start = absl::Now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::vector<uchar> jpeg;
      for (int i = t; i < frames; i += threads) {
        cv::imencode(".jpg", pictures[i % pictures.size()], jpeg,
                     {cv::IMWRITE_JPEG_QUALITY, quality});
      }
    });
  }
  for (std::thread& w : workers) w.join();
  return 1e3 * Seconds(start) / frames;
}

double MemcpyMs(const cv::Mat& picture) {
  std::vector<uchar> copy(picture.total() * picture.elemSize());
  const int reps = 20;
  const absl::Time start = absl::Now();
  for (int i = 0; i < reps; ++i) {
    std::memcpy(copy.data(), picture.data, copy.size());
  }
  return 1e3 * Seconds(start) / reps;
}

std::vector<cv::Mat> Pattern(Size size, int n) {
  absl::StatusOr<std::unique_ptr<camera::FrameSource>> src =
      camera::MakeFrameSource("test",
                              {.width = size.width, .height = size.height});
  std::vector<cv::Mat> pictures;
  for (int i = 0; src.ok() && i < n; ++i)
    pictures.push_back((*src)->Next()->clone());
  return pictures;
}

void EncodeSection() {
  std::printf(
      "1. JPEG encode time per frame (test pattern), ms; fps in brackets\n"
      "   | resolution | quality | 1 encoder | 2 encoders | memcpy of the "
      "picture |\n   | --- | --- | --- | --- | --- |\n");
  const std::string plot = absl::GetFlag(FLAGS_plot_data);
  for (Size size : {Size{640, 480}, Size{1920, 1080}, Size{3840, 2160}}) {
    const std::vector<cv::Mat> pictures = Pattern(size, 8);
    if (pictures.empty()) continue;
    for (int quality : {40, 80}) {
      const int frames = absl::GetFlag(FLAGS_frames);
      (void)EncodeMs(pictures, quality, 1, 4);  // warm
      const double one = EncodeMs(pictures, quality, 1, frames);
      const double two = EncodeMs(pictures, quality, 2, frames);
      const double copy = MemcpyMs(pictures[0]);
      std::printf("   | %dx%d | %d | %.2f (%.0f) | %.2f (%.0f) | %.3f |\n",
                  size.width, size.height, quality, one, 1e3 / one, two,
                  1e3 / two, copy);
      if (!plot.empty() && quality == 80) {
        if (FILE* f = std::fopen(plot.c_str(), "a")) {
          for (auto [threads, ms] :
               {std::pair{1, one}, std::pair{2, two}, std::pair{0, copy}}) {
            std::fprintf(f, "encode\t%d\t%d\t%.3f\n", size.width * size.height,
                         threads, ms);
          }
          std::fclose(f);
        }
      }
    }
  }
  std::printf("\n");
}

// A process started with `command` (through the shell), its stdout read.
std::string Run(const std::string& command) {
  std::string out;
  if (FILE* p = popen(command.c_str(), "r")) {
    char buf[4096];
    while (size_t n = std::fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
    pclose(p);
  }
  return out;
}

struct Streamer {
  pid_t pid = -1;
  int port = 0;
};

// Starts the streamer with `flags`; its banner's first line names the port.
Streamer StartStreamer(const std::string& binary, const std::string& flags) {
  int out[2];
  if (pipe(out) != 0) return {};
  Streamer s;
  s.pid = fork();
  if (s.pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    execl("/bin/sh", "sh", "-c",
          absl::StrCat("exec ", binary, " --port=0 ", flags, " 2>/dev/null")
              .c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  concurrency::io::ScopedFd read_end(out[0]);
  std::string line;
  char c;
  while (line.find('\n') == std::string::npos &&
         read(read_end.get(), &c, 1) == 1) {
    line.push_back(c);
  }
  const size_t at = line.find("127.0.0.1:");
  if (at != std::string::npos) {
    (void)absl::SimpleAtoi(
        line.substr(at + 10,
                    line.find_first_not_of("0123456789", at + 10) - at - 10),
        &s.port);
  }
  return s;
}

void StopStreamer(Streamer& s) {
  if (s.pid <= 0) return;
  kill(s.pid, SIGTERM);
  waitpid(s.pid, nullptr, 0);
  s.pid = -1;
}

// GET `path` from the streamer on loopback: the body.
std::string Get(int port, const std::string& path) {
  concurrency::io::ScopedFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    return "";
  }
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.1\r\nConnection: close\r\n\r\n");
  if (send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) < 0) {
    return "";
  }
  std::string response;
  char buf[4096];
  while (true) {
    const ssize_t n = recv(fd.get(), buf, sizeof(buf), 0);
    if (n <= 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  const size_t body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// A number of /stats' JSON; -1 if absent.
double StatsNumber(const std::string& json, const std::string& key) {
  const size_t at = json.find(absl::StrCat("\"", key, "\": "));
  double v = -1;
  if (at == std::string::npos) return v;
  const size_t from = at + key.size() + 4;
  (void)absl::SimpleAtod(
      json.substr(from, json.find_first_of(",}", from) - from), &v);
  return v;
}

struct Load {
  double mean_fps = -1;
  double cpu_s = -1;
  double cpu_us_per_frame = -1;
};

// stream_benchmark --url against the streamer for `window`: its one row,
// parsed.
Load RunLoad(const std::string& load_binary, const Streamer& s, int clients,
             absl::Duration window) {
  const std::string row = Run(absl::StrFormat(
      "%s --url=http://127.0.0.1:%d/stream --clients=%d --server_pid=%d "
      "--duration=%s 2>/dev/null | tail -1",
      load_binary, s.port, clients, s.pid, absl::FormatDuration(window)));
  std::vector<std::string> f = absl::StrSplit(row, ' ', absl::SkipWhitespace());
  Load l;
  // given N connected min mean max skipped cpu sys us/frame
  if (f.size() >= 10) {
    (void)absl::SimpleAtod(f[4], &l.mean_fps);
    (void)absl::SimpleAtod(f[7], &l.cpu_s);
    (void)absl::SimpleAtod(f[9], &l.cpu_us_per_frame);
  }
  return l;
}

void StreamSection(const std::string& streamer, const std::string& load) {
  std::printf(
      "2. The streamer at high resolutions, test pattern, 10 clients\n"
      "   | source | quality | encoders | captured fps | sent fps per client "
      "| skipped (busy, late) | server CPU, cores |\n"
      "   | --- | --- | --- | --- | --- | --- | --- |\n");
  struct Config {
    Size size;
    int fps, quality;
  };
  const double window = absl::ToDoubleSeconds(absl::GetFlag(FLAGS_duration));
  for (Config c :
       {Config{{2560, 1440}, 60, 80}, Config{{3840, 2160}, 30, 40}}) {
    for (int encoders : {1, 2}) {
      Streamer s = StartStreamer(
          streamer,
          absl::StrFormat("--source=test --width=%d --height=%d --fps=%d "
                          "--quality=%d --encoders=%d",
                          c.size.width, c.size.height, c.fps, c.quality,
                          encoders));
      const Load l = RunLoad(load, s, 10, absl::GetFlag(FLAGS_duration));
      const std::string stats = Get(s.port, "/stats");
      StopStreamer(s);
      std::printf(
          "   | %dx%d at %d | %d | %d | %.1f | %.1f | %.0f, %.0f | %.2f |\n",
          c.size.width, c.size.height, c.fps, c.quality, encoders,
          StatsNumber(stats, "capture_fps"), l.mean_fps,
          StatsNumber(stats, "skipped_encoders_busy"),
          StatsNumber(stats, "skipped_late"), l.cpu_s / window);
    }
  }
  std::printf("\n");
}

// An MJPEG AVI of `frames` test pattern frames at `size`, quality 40, made
// with ffmpeg -c copy in `dir`; its path, or "" on failure.
std::string MjpegFile(const std::string& dir, Size size, int frames) {
  const std::vector<cv::Mat> pictures = Pattern(size, frames);
  for (size_t i = 0; i < pictures.size(); ++i) {
    if (!cv::imwrite(absl::StrCat(dir, "/f", i, ".jpg"), pictures[i],
                     {cv::IMWRITE_JPEG_QUALITY, 40})) {
      return "";
    }
  }
  const std::string path = absl::StrCat(dir, "/", size.width, ".avi");
  const int rc = std::system(
      absl::StrCat("ffmpeg -nostdin -loglevel error -y -framerate 30 -i '", dir,
                   "/f%d.jpg' -c copy '", path, "'")
          .c_str());
  return rc == 0 ? path : "";
}

void PassthroughSection(const std::string& streamer, const std::string& load) {
  std::printf(
      "3. MJPEG passthrough against encoding, 60 fps, quality 40, 1 client: "
      "server CPU per frame\n"
      "   | resolution | passthrough (MJPEG file) | encoded (test pattern, "
      "2 encoders) | passthrough / encoded |\n   | --- | --- | --- | --- |\n");
  char dir_template[] = "/tmp/encode_benchmarkXXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (dir == nullptr) return;
  for (Size size : {Size{1920, 1080}, Size{3840, 2160}}) {
    const std::string file = MjpegFile(dir, size, 30);
    if (file.empty()) {
      std::printf("   (no MJPEG file: is ffmpeg installed?)\n");
      continue;
    }
    const std::string common =
        absl::StrFormat("--width=%d --height=%d --fps=60 --quality=40",
                        size.width, size.height);
    Streamer pass = StartStreamer(
        streamer,
        absl::StrCat("--source=file:", file, " --format=mjpeg ", common));
    const absl::Duration window = 2 * absl::GetFlag(FLAGS_duration);
    const Load p = RunLoad(load, pass, 1, window);
    StopStreamer(pass);
    Streamer enc = StartStreamer(
        streamer,
        absl::StrCat("--source=test --format=raw --encoders=2 ", common));
    const Load e = RunLoad(load, enc, 1, window);
    StopStreamer(enc);
    std::printf("   | %dx%d | %.0f us | %.0f us | %.1f %% |\n", size.width,
                size.height, p.cpu_us_per_frame, e.cpu_us_per_frame,
                100 * p.cpu_us_per_frame / e.cpu_us_per_frame);
  }
  if (std::system(absl::StrCat("rm -rf '", dir, "'").c_str()) != 0) {
    std::printf("   (%s not removed)\n", dir);
  }
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "The streamer's JPEG encoders and MJPEG passthrough at high "
      "resolutions, in one run.");
  absl::ParseCommandLine(argc, argv);
  const std::string self = argv[0];
  const std::string here = self.substr(0, self.rfind('/') + 1);
  const std::string sections = absl::GetFlag(FLAGS_sections);
  if (absl::StrContains(sections, "encode")) EncodeSection();
  if (absl::StrContains(sections, "stream")) {
    StreamSection(here + "streamer", here + "stream_benchmark");
  }
  if (absl::StrContains(sections, "passthrough")) {
    PassthroughSection(here + "streamer", here + "stream_benchmark");
  }
  return 0;
}
