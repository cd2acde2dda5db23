#include "concurrency/http/misbehaving_server.h"

#include <algorithm>
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
    : script_(std::move(script)), server_(ServerOptions(threads)) {
  server_.HandleTakeover("*", "*",
                         [this](const HttpRequest& r, io::ScopedFd socket) {
                           Answer(r, std::move(socket));
                         });
}

MisbehavingServer::~MisbehavingServer() {
  stopping_.Notify();
  server_.Stop();
}

void MisbehavingServer::Answer(const HttpRequest& request,
                               io::ScopedFd socket) {
  ScriptedResponse scripted = script_(request);
  if (scripted.delay > absl::ZeroDuration() &&
      stopping_.WaitForNotificationWithTimeout(scripted.delay)) {
    return;
  }
  size_t body = std::min(
      scripted.truncate_body_at.value_or(scripted.response.body.size()),
      scripted.response.body.size());
  std::string out =
      SerializeResponseHead(scripted.response, Connection::kClose);
  out.append(scripted.response.body, 0, body);
  (void)io::SendAll(socket.get(), out, "scripted response");
}

}  // namespace concurrency::http
