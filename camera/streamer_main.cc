// The tutorial's camera streamer: capture, encode once, stream to every
// browser that opens http://127.0.0.1:9000/.
//
//   bazel run //camera:streamer                       # camera 0, else a test
//   pattern bazel run //camera:streamer -- --source=file:clip.avi --port=8080
#include <signal.h>

#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "camera/frame_source.h"
#include "camera/streamer.h"

ABSL_FLAG(std::string, source, "auto",
          "camera:N, file:PATH (looped), test (a generated pattern), or auto "
          "(camera 0, else the test pattern).");
ABSL_FLAG(std::string, host, "127.0.0.1", "Address to listen on.");
ABSL_FLAG(int, port, 9000, "Port to listen on (0: any free port).");
ABSL_FLAG(int, width, 640, "Frame width (camera and test pattern).");
ABSL_FLAG(int, height, 480, "Frame height (camera and test pattern).");
ABSL_FLAG(double, fps, 30, "Capture rate.");
ABSL_FLAG(int, quality, 40, "JPEG quality, 1-100.");
ABSL_FLAG(int, max_clients, 100, "Streams served at once; more get 503.");
ABSL_FLAG(std::string, serving, "loop",
          "How streams are served: 'loop' (one thread, non-blocking sockets) "
          "or 'threads' (a pool thread per stream).");
ABSL_FLAG(absl::Duration, send_timeout, absl::Seconds(10),
          "A client that accepts no data for this long is dropped.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "MJPEG over HTTP: GET / (a page), /stream, /snapshot.jpg, /stats.");
  absl::ParseCommandLine(argc, argv);

  // SIGINT and SIGTERM are taken by sigwait below, in this thread only: block
  // them before any thread starts, so every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // belt and braces: sends use MSG_NOSIGNAL

  camera::SourceOptions source_options{absl::GetFlag(FLAGS_width),
                                       absl::GetFlag(FLAGS_height),
                                       absl::GetFlag(FLAGS_fps)};
  const std::string spec = absl::GetFlag(FLAGS_source);
  absl::StatusOr<std::unique_ptr<camera::FrameSource>> source =
      camera::MakeFrameSource(spec == "auto" ? "camera:0" : spec,
                              source_options);
  if (!source.ok() && spec == "auto") {
    std::fprintf(stderr, "streamer: %s; using the test pattern\n",
                 source.status().ToString().c_str());
    source = camera::MakeFrameSource("test", source_options);
  }
  if (!source.ok()) {
    std::fprintf(stderr, "streamer: --source=%s: %s\n", spec.c_str(),
                 source.status().ToString().c_str());
    return 1;
  }
  camera::StreamerOptions options;
  options.host = absl::GetFlag(FLAGS_host);
  options.port = absl::GetFlag(FLAGS_port);
  options.fps = absl::GetFlag(FLAGS_fps);
  options.jpeg_quality = absl::GetFlag(FLAGS_quality);
  options.max_clients = absl::GetFlag(FLAGS_max_clients);
  options.send_timeout = absl::GetFlag(FLAGS_send_timeout);
  if (absl::GetFlag(FLAGS_serving) == "threads") {
    options.serving = camera::Serving::kThreadPerStream;
  } else if (absl::GetFlag(FLAGS_serving) != "loop") {
    std::fprintf(stderr, "streamer: --serving must be 'loop' or 'threads'\n");
    return 2;
  }
  absl::StatusOr<std::unique_ptr<camera::Streamer>> streamer =
      camera::Streamer::Start(*std::move(source), options);
  if (!streamer.ok()) {
    std::fprintf(stderr, "streamer: %s\n",
                 streamer.status().ToString().c_str());
    return 1;
  }
  std::printf("streaming %s on %s (stream: %sstream); Ctrl-C stops\n",
              absl::GetFlag(FLAGS_source).c_str(), (*streamer)->url().c_str(),
              (*streamer)->url().c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::printf("signal %d: stopping\n", sig);
  (*streamer)->Stop();
  std::printf("stopped after %lld frames\n",
              static_cast<long long>((*streamer)->frames_captured()));
  return 0;
}
