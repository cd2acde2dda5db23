#include "concurrency/http/misbehaving_server.h"

#include <algorithm>
#include <memory>
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
      writers_(threads, "misbehaving"),
      server_(ServerOptions(threads)) {
  server_.Handle("*", "*", [this](const HttpRequest& r) { return Answer(r); });
}

MisbehavingServer::~MisbehavingServer() {
  stopping_.Notify();  // delayed writers give up, writing nothing
  server_.Stop();
  writers_.Shutdown(/*wait=*/true);
}

HttpResponse MisbehavingServer::Answer(const HttpRequest& request) {
  auto scripted = std::make_shared<ScriptedResponse>(script_(request));
  HttpResponse raw;
  raw.status = 0;  // no head from the server: the writer sends every byte
  raw.stream = [this, scripted](io::ScopedFd socket) {
    (void)writers_.Schedule([this, scripted,
                             socket = std::move(socket)]() mutable {
      if (scripted->delay > absl::ZeroDuration() &&
          stopping_.WaitForNotificationWithTimeout(scripted->delay)) {
        return;  // dropped unanswered: the socket closes
      }
      const HttpResponse& r = scripted->response;
      const size_t body = std::min(
          scripted->truncate_body_at.value_or(r.body.size()), r.body.size());
      std::string out = SerializeResponseHead(r, ConnectionHeader::kClose);
      out.append(r.body, 0, body);
      if (io::SetBlocking(socket.get(), true, "scripted response").ok()) {
        (void)io::SendAll(socket.get(), out, "scripted response");
      }
    });
  };
  return raw;
}

}  // namespace concurrency::http
