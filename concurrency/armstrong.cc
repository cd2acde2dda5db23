#include "concurrency/armstrong.h"

#include <algorithm>
#include <array>
#include <future>

#include "absl/strings/str_cat.h"
#include "concurrency/process.h"

namespace concurrency {
namespace {

constexpr int kMaxDigits = 20;  // 2^64 - 1 has 20 digits.

int NumDigits(uint64_t n) {
  int k = 1;
  while (n >= 10) {
    n /= 10;
    ++k;
  }
  return k;
}

// 10^k for k < 20 (10^20 does not fit in 64 bits).
uint64_t Pow10(int k) {
  uint64_t p = 1;
  for (int i = 0; i < k; ++i) {
    p *= 10;
  }
  return p;
}

// digit^k for every digit; 9^20 < 2^64, so each fits.
std::array<uint64_t, 10> DigitPowers(int k) {
  std::array<uint64_t, 10> powers;
  for (uint64_t d = 0; d < 10; ++d) {
    uint64_t p = 1;
    for (int i = 0; i < k; ++i) {
      p *= d;
    }
    powers[d] = p;
  }
  return powers;
}

// Appends the Armstrong numbers in [n, end), all of which have k digits.
// `Sum` must hold k * 9^k: 64 bits do up to k = 18, 128 bits beyond.
template <typename Sum>
void ScanSameDigitCount(uint64_t n, uint64_t end, int k,
                        std::vector<uint64_t>& found) {
  const std::array<uint64_t, 10> powers = DigitPowers(k);
  std::array<int, kMaxDigits + 1> digits{};  // Least significant first.
  Sum sum = 0;
  for (uint64_t t = n, i = 0; t != 0; t /= 10, ++i) {
    digits[i] = static_cast<int>(t % 10);
    sum += powers[digits[i]];
  }
  while (true) {
    if (sum == n) {
      found.push_back(n);
    }
    if (++n == end) {
      return;
    }
    // The odometer: nines roll over to zero, then one digit goes up.
    int i = 0;
    while (digits[i] == 9) {
      sum -= powers[9];
      digits[i++] = 0;
    }
    sum += powers[digits[i] + 1] - powers[digits[i]];
    ++digits[i];
  }
}

}  // namespace

bool IsArmstrong(uint64_t n) {
  const int k = NumDigits(n);
  const std::array<uint64_t, 10> powers = DigitPowers(k);
  unsigned __int128 sum = 0;
  for (uint64_t t = n; t != 0; t /= 10) {
    sum += powers[t % 10];
  }
  return sum == n;
}

std::vector<uint64_t> FindArmstrong(uint64_t lo, uint64_t hi) {
  std::vector<uint64_t> found;
  if (lo == 0 && hi > 0) {
    found.push_back(
        0);  // The odometer starts from a number's digits; 0 has none.
    lo = 1;
  }
  uint64_t n = lo;
  while (n < hi) {
    const int k = NumDigits(n);
    const uint64_t end = k < kMaxDigits ? std::min(hi, Pow10(k)) : hi;
    if (k <= 18) {
      ScanSameDigitCount<uint64_t>(n, end, k, found);
    } else {
      ScanSameDigitCount<unsigned __int128>(n, end, k, found);
    }
    n = end;
  }
  return found;
}

std::vector<std::pair<uint64_t, uint64_t>> SplitRange(uint64_t lo, uint64_t hi,
                                                      int parts) {
  if (lo >= hi || parts < 1) return {};
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  const uint64_t size = hi - lo;
  const uint64_t n = std::min<uint64_t>(static_cast<uint64_t>(parts), size);
  const uint64_t base = size / n, extra = size % n;
  uint64_t start = lo;
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t end = start + base + (i < extra ? 1 : 0);
    ranges.emplace_back(start, end);
    start = end;
  }
  return ranges;
}

absl::StatusOr<std::vector<uint64_t>> FindArmstrongThreads(uint64_t lo,
                                                           uint64_t hi,
                                                           int parts,
                                                           ThreadPool& pool) {
  std::vector<std::future<std::vector<uint64_t>>> pending;
  for (const auto& [a, b] : SplitRange(lo, hi, parts)) {
    auto part = pool.Submit(FindArmstrong, a, b);
    if (!part.ok()) {
      return part.status();
    }
    pending.push_back(*std::move(part));
  }
  std::vector<uint64_t> found;
  for (auto& part :
       pending) {  // Sub-ranges ascend: so does their concatenation.
    std::vector<uint64_t> numbers = part.get();
    found.insert(found.end(), numbers.begin(), numbers.end());
  }
  return found;
}

absl::StatusOr<std::vector<uint64_t>> FindArmstrongProcesses(uint64_t lo,
                                                             uint64_t hi,
                                                             int parts) {
  const auto ranges = SplitRange(lo, hi, parts);
  std::vector<ProcessResult<std::vector<uint64_t>>> pending;
  for (const auto& [a, b] : ranges) {
    auto part = RunInProcess([a = a, b = b] { return FindArmstrong(a, b); });
    if (!part.ok()) {
      return part.status();  // Children already started are killed and reaped.
    }
    pending.push_back(*std::move(part));
  }
  std::vector<uint64_t> found;
  for (size_t i = 0; i < pending.size(); ++i) {
    absl::StatusOr<std::vector<uint64_t>> numbers = pending[i].Get();
    if (!numbers.ok()) {
      return absl::Status(
          numbers.status().code(),
          absl::StrCat("FindArmstrong[", ranges[i].first, ", ",
                       ranges[i].second,
                       ") in a child process: ", numbers.status().message()));
    }
    found.insert(found.end(), numbers->begin(), numbers->end());
  }
  return found;
}

}  // namespace concurrency
