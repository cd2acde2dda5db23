// The digit-multiset search of armstrong.h.
//
// A number's Armstrong test depends only on the multiset of its digits, so
// instead of the numbers of n digits (9 * 10^(n-1) of them) this enumerates
// the multisets of n digits (C(n+9, 9): 10,015,005 for n = 20), computes each
// one's power sum once, and keeps the sum if its own digits are that
// multiset. Counts are chosen from digit 9 down to 0, the sum growing as they
// are; a branch stops as soon as its sum has passed the range (or n digits),
// or can no longer reach it even with every remaining place at the largest
// digit still allowed.
#include <algorithm>
#include <array>
#include <cstdint>
#include <future>
#include <utility>
#include <vector>

#include "concurrency/armstrong.h"

namespace concurrency {
namespace {

using u128 = unsigned __int128;

constexpr int kMaxDigits = 20;  // 2^64 - 1 has 20 digits.

u128 ToU128(absl::uint128 x) {
  return (static_cast<u128>(absl::Uint128High64(x)) << 64) |
         absl::Uint128Low64(x);
}

u128 Pow10(int k) {
  u128 p = 1;
  for (int i = 0; i < k; ++i) p *= 10;
  return p;
}

// The multisets of n digits whose power sums lie in [lo, hi), hi <= 2^64.
class MultisetSearch {
 public:
  MultisetSearch(int n, u128 lo, u128 hi) : n_(n), lo_(lo), hi_(hi) {
    for (int d = 0; d < 10; ++d) {
      u128 p = 1;
      for (int i = 0; i < n; ++i) p *= static_cast<u128>(d);
      pow_[d] = p;
    }
  }

  // The part of the search with exactly `nines` nines.
  std::vector<uint64_t> WithNines(int nines) {
    std::vector<uint64_t> found;
    const u128 sum = static_cast<u128>(nines) * pow_[9];
    const int left = n_ - nines;
    if (sum < hi_ && sum + static_cast<u128>(left) * pow_[8] >= lo_) {
      counts_[9] = nines;
      Choose(8, left, sum, found);
    }
    std::sort(found.begin(), found.end());
    return found;
  }

 private:
  // Chooses how many of digit `d` among the `left` places still open.
  void Choose(int d, int left, u128 sum, std::vector<uint64_t>& found) {
    if (d == 0) {
      counts_[0] = left;
      Check(sum, found);
      return;
    }
    for (int k = 0; k <= left; ++k) {
      const u128 s = sum + static_cast<u128>(k) * pow_[d];
      if (s >= hi_) break;  // more of d only makes it larger
      const int rest = left - k;
      if (s + static_cast<u128>(rest) * pow_[d - 1] < lo_) continue;
      counts_[d] = k;
      Choose(d - 1, rest, s, found);
    }
  }

  // Keeps `sum` if its digits are exactly the chosen multiset.
  void Check(u128 sum, std::vector<uint64_t>& found) const {
    if (sum < lo_) return;
    uint64_t v = static_cast<uint64_t>(sum);  // sum < hi_ <= 2^64
    std::array<int, 10> c = counts_;
    int digits = 0;
    do {
      if (--c[v % 10] < 0) return;
      v /= 10;
      ++digits;
    } while (v != 0);
    // n counts in all, none overdrawn, n digits: the multisets are equal.
    if (digits == n_) found.push_back(static_cast<uint64_t>(sum));
  }

  const int n_;
  const u128 lo_, hi_;
  std::array<u128, 10> pow_;
  std::array<int, 10> counts_{};
};

// One part of the search: n digits, `nines` nines; `size` estimates its
// work (the multisets of the other n - nines places over 9 digits).
struct Part {
  int n;
  int nines;
  double size;
};

// Every part whose numbers can lie in [lo, hi), largest first, so that a
// pool's threads finish together (longest processing time first).
std::vector<Part> Parts(u128 lo, u128 hi) {
  std::vector<Part> parts;
  for (int n = 1; n <= kMaxDigits; ++n) {
    if (Pow10(n) <= lo || (n > 1 && Pow10(n - 1) >= hi)) continue;
    for (int nines = 0; nines <= n; ++nines) {
      double size = 1;  // C(m + 8, 8), m = n - nines
      for (int i = 1; i <= 8; ++i) size = size * (n - nines + i) / i;
      parts.push_back({n, nines, size});
    }
  }
  std::sort(parts.begin(), parts.end(),
            [](const Part& a, const Part& b) { return a.size > b.size; });
  return parts;
}

std::vector<uint64_t> Search(const Part& p, u128 lo, u128 hi) {
  const u128 n_lo = p.n == 1 ? 0 : Pow10(p.n - 1);
  MultisetSearch search(p.n, std::max(lo, n_lo), std::min(hi, Pow10(p.n)));
  return search.WithNines(p.nines);
}

std::vector<uint64_t> Merge(std::vector<std::vector<uint64_t>> lists) {
  std::vector<uint64_t> all;
  for (const std::vector<uint64_t>& l : lists) {
    all.insert(all.end(), l.begin(), l.end());
  }
  std::sort(all.begin(), all.end());
  return all;
}

}  // namespace

std::vector<uint64_t> ArmstrongBetween(uint64_t lo, absl::uint128 hi) {
  const u128 h = std::min(ToU128(hi), static_cast<u128>(1) << 64);
  std::vector<std::vector<uint64_t>> lists;
  for (const Part& p : Parts(lo, h)) lists.push_back(Search(p, lo, h));
  return Merge(std::move(lists));
}

absl::StatusOr<std::vector<uint64_t>> ArmstrongBetween(uint64_t lo,
                                                       absl::uint128 hi,
                                                       ThreadPool& pool) {
  const u128 h = std::min(ToU128(hi), static_cast<u128>(1) << 64);
  std::vector<std::future<std::vector<uint64_t>>> futures;
  for (const Part& p : Parts(lo, h)) {
    absl::StatusOr<std::future<std::vector<uint64_t>>> f =
        pool.Submit([p, lo, h] { return Search(p, lo, h); });
    if (!f.ok()) return f.status();
    futures.push_back(*std::move(f));
  }
  std::vector<std::vector<uint64_t>> lists;
  for (auto& f : futures) lists.push_back(f.get());
  return Merge(std::move(lists));
}

std::vector<uint64_t> ArmstrongBelow(absl::uint128 limit) {
  return ArmstrongBetween(1, limit);
}

}  // namespace concurrency
