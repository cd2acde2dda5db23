#include "concurrency/http/misbehaving_server.h"

#include <algorithm>
#include <string>
#include <utility>

#include "concurrency/io/read_write.h"

namespace concurrency::http {
namespace {

HttpServer::Options ServerOptions(int threads) {
  HttpServer::Options options;
  options.threads = threads;
  options.keep_alive = false;
  return options;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MisbehavingServer>> MisbehavingServer::Start(
    Script script, int threads) {
  std::unique_ptr<MisbehavingServer> s(
      new MisbehavingServer(std::move(script), threads));
  if (absl::Status started = s->server_.Start(); !started.ok()) return started;
  return s;
}

MisbehavingServer::MisbehavingServer(Script script, int threads)
    : script_(std::move(script)),
      cut_bodies_(2, "cut_bodies"),
      server_(ServerOptions(threads)) {
  server_.Handle("*", "*", [this](const HttpRequest& r) { return Answer(r); });
}

MisbehavingServer::~MisbehavingServer() {
  stopping_.Notify();
  server_.Stop();
  cut_bodies_.Shutdown(/*wait=*/true);
}

HttpResponse MisbehavingServer::Answer(const HttpRequest& request) {
  ScriptedResponse scripted = script_(request);
  if (scripted.delay > absl::ZeroDuration() &&
      stopping_.WaitForNotificationWithTimeout(scripted.delay)) {
    return TextResponse(503, "stopping");  // dropped by the stopping server
  }
  HttpResponse response = std::move(scripted.response);
  if (!scripted.truncate_body_at.has_value()) return response;
  const size_t keep =
      std::min(*scripted.truncate_body_at, response.body.size());
  response.headers.emplace_back("Content-Length",
                                std::to_string(response.body.size()));
  std::string part = response.body.substr(0, keep);
  response.body.clear();
  response.stream = [this, part = std::move(part)](io::ScopedFd socket) {
    (void)cut_bodies_.Schedule([part, socket = std::move(socket)]() mutable {
      if (io::SetBlocking(socket.get(), true, "cut body").ok()) {
        (void)io::SendAll(socket.get(), part, "cut body");
      }
    });
  };
  return response;
}

}  // namespace concurrency::http
