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

constexpr std::array<uint64_t, 20> kPow10 = [] {
  std::array<uint64_t, 20> p{};
  p[0] = 1;
  for (int i = 1; i < 20; ++i) p[i] = p[i - 1] * 10;
  return p;
}();

// Digit counts packed 5 bits a digit (counts reach 20), digit d at bit 5d.
using Packed = uint64_t;
constexpr int kBits = 5;

// The packed digit counts of every 4-digit group 0000-9999, leading zeros
// included: a number's counts are the sum over its groups, 5 lookups for 20
// digits instead of 20 divisions.
const std::array<Packed, 10000>& GroupCounts() {
  static const std::array<Packed, 10000> table = [] {
    std::array<Packed, 10000> t{};
    for (int g = 0; g < 10000; ++g) {
      for (int i = 0, v = g; i < 4; ++i, v /= 10) {
        t[g] += Packed{1} << (kBits * (v % 10));
      }
    }
    return t;
  }();
  return table;
}

// The multisets of n digits whose power sums lie in [lo, max]. Sums are 64
// bits wide: a sum that would overflow is past any max, and is cut there.
class MultisetSearch {
 public:
  MultisetSearch(int n, uint64_t lo, uint64_t max)
      : n_(n), lo_(lo), max_(max), groups_(GroupCounts()) {
    for (int d = 0; d < 10; ++d) {
      uint64_t p = 1;
      for (int i = 0; i < n; ++i) p *= static_cast<uint64_t>(d);  // 9^20 fits
      pow_[d] = p;
    }
  }

  // The part of the search with exactly `nines` nines.
  std::vector<uint64_t> WithNines(int nines) {
    std::vector<uint64_t> found;
    uint64_t sum;
    if (!__builtin_mul_overflow(static_cast<uint64_t>(nines), pow_[9], &sum) &&
        sum <= max_ && Reaches(sum, n_ - nines, 8)) {
      Choose(8, n_ - nines, sum,
             Packed{static_cast<uint64_t>(nines)} << (kBits * 9), found);
    }
    std::sort(found.begin(), found.end());
    return found;
  }

 private:
  // Whether `sum`, with `places` more digits no larger than `d`, can still
  // reach lo.
  bool Reaches(uint64_t sum, int places, int d) const {
    uint64_t most;
    return __builtin_mul_overflow(static_cast<uint64_t>(places), pow_[d],
                                  &most) ||
           __builtin_add_overflow(sum, most, &most) || most >= lo_;
  }

  // Whether the sums still possible, [sum, sum + places * d^n] within
  // [lo, max], can have digits that agree with `counts`: their common
  // leading digits are the result's, and a digit above `d`, whose count is
  // final, cannot appear there more often than it was chosen.
  bool PrefixFits(uint64_t sum, int places, int d, Packed counts) const {
    uint64_t top;
    if (__builtin_mul_overflow(static_cast<uint64_t>(places), pow_[d], &top) ||
        __builtin_add_overflow(sum, top, &top) || top > max_) {
      top = max_;
    }
    const uint64_t bottom = std::max(sum, lo_);
    if (bottom > top) return false;
    Packed seen = 0;
    for (int k = n_ - 1; k >= 0; --k) {
      const uint64_t a = bottom / kPow10[k];
      if (a != top / kPow10[k]) break;
      const int digit = static_cast<int>(a % 10);
      if (digit <= d) continue;
      seen += Packed{1} << (kBits * digit);
      if (((seen >> (kBits * digit)) & 31) >
          ((counts >> (kBits * digit)) & 31)) {
        return false;
      }
    }
    return true;
  }

  // Chooses how many of digit `d` among the `left` places still open.
  void Choose(int d, int left, uint64_t sum, Packed counts,
              std::vector<uint64_t>& found) const {
    if (d == 0) {
      Check(sum, counts + static_cast<Packed>(left), found);
      return;
    }
    for (int k = 0; k <= left; ++k) {
      if (Reaches(sum, left - k, d - 1) &&
          (d < 3 || PrefixFits(sum, left - k, d - 1, counts))) {
        Choose(d - 1, left - k, sum, counts, found);
      }
      // One more of d: past max (or overflowing) ends the loop, as more of
      // d only makes it larger.
      if (__builtin_add_overflow(sum, pow_[d], &sum) || sum > max_) break;
      counts += Packed{1} << (kBits * d);
    }
  }

  // Keeps `sum` if its digits are exactly the multiset `counts`.
  void Check(uint64_t sum, Packed counts, std::vector<uint64_t>& found) const {
    if (sum < lo_) return;  // [lo, max] lies within the n-digit numbers
    Packed digits = 0;
    int groups = 0;
    for (uint64_t v = sum; v != 0; v /= 10000, ++groups) {
      digits += groups_[v % 10000];
    }
    // The top group's leading zeros are not digits of the number.
    digits -= static_cast<Packed>(4 * groups - n_);
    if (digits == counts) found.push_back(sum);
  }

  const int n_;
  const uint64_t lo_, max_;
  const std::array<Packed, 10000>& groups_;
  std::array<uint64_t, 10> pow_;
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

// Part `p` of the search for [lo, hi), hi <= 2^64.
std::vector<uint64_t> Search(const Part& p, u128 lo, u128 hi) {
  const u128 n_lo = p.n == 1 ? 0 : Pow10(p.n - 1);
  const u128 from = std::max(lo, n_lo), to = std::min(hi, Pow10(p.n));
  if (from >= to) return {};
  MultisetSearch search(p.n, static_cast<uint64_t>(from),
                        static_cast<uint64_t>(to - 1));
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
