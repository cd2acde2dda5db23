#include "concurrency/pipeline/hostile_feed.h"

#include <sys/socket.h>

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "concurrency/io/read_write.h"
#include "concurrency/pipeline/prices.h"

namespace concurrency::pipeline {

absl::StatusOr<std::unique_ptr<HostileFeed>> HostileFeed::Start(
    std::set<int> endless, std::set<int> huge, int page_size) {
  std::unique_ptr<HostileFeed> f(
      new HostileFeed(std::move(endless), std::move(huge), page_size));
  f->server_.Handle("GET", "*", [p = f.get()](const http::HttpRequest& r) {
    return p->Answer(r);
  });
  if (absl::Status s = f->server_.Start(); !s.ok()) return s;
  return f;
}

HostileFeed::HostileFeed(std::set<int> endless, std::set<int> huge,
                         int page_size)
    : endless_(std::move(endless)),
      huge_(std::move(huge)),
      page_size_(page_size),
      writers_(16, "hostile"),
      server_({}) {}

HostileFeed::~HostileFeed() {
  server_.Stop();
  stopping_ = true;
  {
    absl::MutexLock l(&mu_);
    for (int fd : pouring_) shutdown(fd, SHUT_RDWR);
  }
  writers_.Shutdown(/*wait=*/true);
}

std::string HostileFeed::url_template() const {
  return absl::StrCat(server_.base_url(), "/page/{page}");
}

int HostileFeed::requests(int page) const {
  absl::MutexLock l(&mu_);
  auto it = requests_.find(page);
  return it == requests_.end() ? 0 : it->second;
}

http::HttpResponse HostileFeed::Answer(const http::HttpRequest& request) {
  absl::string_view path = request.path;
  int page = 0;
  if (!absl::ConsumePrefix(&path, "/page/") || !absl::SimpleAtoi(path, &page)) {
    return http::TextResponse(404, "no such page");
  }
  {
    absl::MutexLock l(&mu_);
    ++requests_[page];
  }
  http::HttpResponse r;
  r.content_type = "text/csv";
  if (!endless_.contains(page) && !huge_.contains(page)) {
    r.body = PricePageCsv(page, page_size_);
    return r;
  }
  const std::string block(16 << 10, 'x');
  std::string chunk = block;
  if (endless_.contains(page)) {
    r.headers.emplace_back("Transfer-Encoding", "chunked");
    chunk = absl::StrCat(absl::Hex(block.size()), "\r\n", block, "\r\n");
  } else {
    r.headers.emplace_back("Content-Length", "53687091200");  // 50 GB
  }
  r.stream = [this, chunk](io::ScopedFd socket) {
    Pour(std::move(socket), chunk);
  };
  return r;
}

void HostileFeed::Pour(io::ScopedFd socket, std::string chunk) {
  {
    absl::MutexLock l(&mu_);
    pouring_.insert(socket.get());
  }
  (void)writers_.Schedule([this, chunk = std::move(chunk),
                           socket = std::move(socket)]() mutable {
    timeval tv{5, 0};  // a client that stops reading is dropped
    setsockopt(socket.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (io::SetBlocking(socket.get(), true, "hostile body").ok()) {
      while (!stopping_ && io::SendAll(socket.get(), chunk, "hostile").ok()) {
      }
    }
    absl::MutexLock l(&mu_);
    pouring_.erase(socket.get());
  });
}

}  // namespace concurrency::pipeline
