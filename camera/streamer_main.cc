// The tutorial's camera streamer: capture, encode once, stream to every
// browser that opens http://127.0.0.1:9000/.
//
// clang-format off
//   bazel run //camera:streamer                       # camera 0, else a test pattern
//   bazel run //camera:streamer -- --source=file:clip.avi --port=8080
// clang-format on
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "camera/frame_source.h"
#include "camera/streamer.h"
#include "concurrency/http/credentials.h"
#include "concurrency/keep_freed_memory.h"

ABSL_FLAG(std::string, source, "auto",
          "camera:N, file:PATH (looped), test (a generated pattern), or auto "
          "(camera 0, else the test pattern).");
ABSL_FLAG(std::string, host, camera::StreamerOptions{}.host,
          "Address to listen on.");
ABSL_FLAG(int, port, camera::StreamerOptions{}.port,
          "Port to listen on (0: any free port).");
ABSL_FLAG(int, width, 640, "Frame width (camera and test pattern).");
ABSL_FLAG(int, height, 480, "Frame height (camera and test pattern).");
ABSL_FLAG(double, fps, 30, "Capture rate.");
ABSL_FLAG(int, quality, 40, "JPEG quality, 1-100.");
ABSL_FLAG(int, max_clients, camera::StreamerOptions{}.max_clients,
          "Streams served at once; more get 503.");
ABSL_FLAG(std::string, serving, "loop",
          "How streams are served: 'loop' (one thread, non-blocking sockets) "
          "or 'threads' (a pool thread per stream).");
ABSL_FLAG(int, max_connections, camera::StreamerOptions{}.max_connections,
          "HTTP connections open at once (reading a request, idle between "
          "requests, or being answered; streams count toward --max_clients): "
          "more get 503.");
ABSL_FLAG(int, stream_send_buffer, camera::StreamerOptions{}.stream_send_buffer,
          "Each stream's kernel send buffer in bytes (SO_SNDBUF): what a "
          "stalled client may pin; raise it for 4K frames.");
ABSL_FLAG(absl::Duration, send_timeout, camera::StreamerOptions{}.send_timeout,
          "A client that accepts no data for this long is dropped.");

ABSL_FLAG(std::string, user, "",
          "HTTP basic auth user (else --credentials_file, else "
          "$STREAMER_USER); none: no auth.");
ABSL_FLAG(std::string, password, "",
          "HTTP basic auth password (visible in `ps`: prefer "
          "--credentials_file or $STREAMER_PASSWORD).");
ABSL_FLAG(std::string, credentials_file, "",
          "File holding one line user:password.");
ABSL_FLAG(double, desired_fps, 0,
          "Encode and send at most this many of the --fps frames captured "
          "per second (0: all).");
ABSL_FLAG(int, drop_same_frames, 0,
          "Do not send a frame identical to the previous one, at most this "
          "many in a row (0: off), as ustreamer's --drop-same-frames.");
ABSL_FLAG(absl::Duration, device_timeout, absl::Seconds(1),
          "A capture that gives no frame for this long counts as a lost "
          "source: NO SIGNAL frames, then reopening (as ustreamer's "
          "--device-timeout).");
ABSL_FLAG(int, encoders, static_cast<int>(std::thread::hardware_concurrency()),
          "Threads encoding JPEGs at once (as ustreamer's --workers); frames "
          "still go out in capture order. Default: the number of cores.");
ABSL_FLAG(std::string, format, "auto",
          "What to take from the source (as ustreamer's --format): 'mjpeg', "
          "the JPEG frames a camera or MJPEG video file already holds, sent "
          "as they are with no decode and no encode; 'raw', pictures, "
          "encoded here on --encoders threads; 'auto', mjpeg where the "
          "source has it, else raw.");
ABSL_FLAG(std::string, allow_origin, "",
          "Access-Control-Allow-Origin for every response (CORS), e.g. "
          "https://dashboard.example or *.");

namespace {

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "MJPEG over HTTP: GET / (a page), /stream, /snapshot, /stats, and "
      "mjpg-streamer's /?action=stream|snapshot and ustreamer's /state.");
  concurrency::KeepFreedMemory();  // frames come and go many times a second
  absl::ParseCommandLine(argc, argv);

  // SIGINT and SIGTERM are taken by sigwait below, in this thread only: block
  // them before any thread starts, so every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // belt and braces: sends use MSG_NOSIGNAL

  absl::StatusOr<camera::FormatRequest> format =
      camera::ParseFormatRequest(absl::GetFlag(FLAGS_format));
  if (!format.ok()) {
    std::fprintf(stderr, "streamer: --format: %s\n",
                 format.status().ToString().c_str());
    return 1;
  }
  camera::SourceOptions source_options{absl::GetFlag(FLAGS_width),
                                       absl::GetFlag(FLAGS_height),
                                       absl::GetFlag(FLAGS_fps), *format};
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
  options.max_connections = absl::GetFlag(FLAGS_max_connections);
  options.send_timeout = absl::GetFlag(FLAGS_send_timeout);
  options.stream_send_buffer = absl::GetFlag(FLAGS_stream_send_buffer);
  options.allow_origin = absl::GetFlag(FLAGS_allow_origin);
  options.desired_fps = absl::GetFlag(FLAGS_desired_fps);
  options.drop_same_frames = absl::GetFlag(FLAGS_drop_same_frames);
  options.device_timeout = absl::GetFlag(FLAGS_device_timeout);
  options.encoders = std::max(1, absl::GetFlag(FLAGS_encoders));
  absl::StatusOr<concurrency::http::Credentials> credentials =
      concurrency::http::LoadCredentials(
          absl::GetFlag(FLAGS_user), absl::GetFlag(FLAGS_password),
          absl::GetFlag(FLAGS_credentials_file), "STREAMER");
  if (!credentials.ok()) {
    std::fprintf(stderr, "streamer: %s\n",
                 credentials.status().ToString().c_str());
    return 2;
  }
  options.credentials = *std::move(credentials);
  if (options.credentials.empty() && !IsLoopback(options.host)) {
    std::fprintf(stderr,
                 "streamer: WARNING: listening on %s without authentication: "
                 "anyone who reaches this address can watch (set --user and "
                 "a password, or --credentials_file)\n",
                 options.host.c_str());
  }
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
