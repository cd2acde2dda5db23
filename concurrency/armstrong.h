// -----------------------------------------------------------------------------
// File: armstrong.h
// -----------------------------------------------------------------------------
//
// Armstrong (narcissistic) numbers: n with k decimal digits is one when the sum
// of its digits, each raised to the k-th power, equals n (153 = 1+125+27).
// The tutorial searches [10,000,000, 30,000,000) in four parts, with threads
// and with processes, to show that CPU-bound Python threads do not run in
// parallel while processes do. Here both run in parallel.
//
// `FindArmstrong` does not recompute digit powers per number: within a run of
// numbers with the same digit count it keeps the digits and their power sum
// and updates both as the number is incremented (an odometer), which is O(1)
// amortized per number. All results are exact for every 64-bit input: sums
// that could exceed 64 bits (19 and 20 digits) are kept in 128 bits.
//
// `ArmstrongBetween` and `ArmstrongBelow` find the same numbers another way:
// by enumerating the multisets of n digits rather than the numbers (a
// number's test depends only on its digits' multiset), with branches pruned
// as soon as their power sum has passed the range or can no longer reach it.
// That turns the 64-bit range's 1.8 * 10^19 numbers into at most 30 million
// multisets (all of them below 2^64 in about a tenth of a second on 2 cores;
// concurrency/README.md). The brute-force functions stay: they are the
// tutorial's lesson on threads and processes.
//
// Thread-safe: these functions keep no state.

#ifndef CONCURRENCY_ARMSTRONG_H_
#define CONCURRENCY_ARMSTRONG_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "concurrency/thread_pool.h"

namespace concurrency {

// Returns whether `n` is an Armstrong number. 0 is one (0^1 == 0), as are 1-9.
bool IsArmstrong(uint64_t n);

// Returns the Armstrong numbers in [lo, hi), ascending. Empty if lo >= hi.
std::vector<uint64_t> FindArmstrong(uint64_t lo, uint64_t hi);

// Splits [lo, hi) into `parts` contiguous ranges of sizes differing by at most
// one (the tutorial's four equal parts when they divide evenly). Returns fewer
// ranges if the range has fewer numbers than `parts`, none if it is empty.
std::vector<std::pair<uint64_t, uint64_t>> SplitRange(uint64_t lo, uint64_t hi,
                                                      int parts);

// FindArmstrong over `parts` sub-ranges run as tasks of `pool`; the same sorted
// list as FindArmstrong(lo, hi). Fails only if the pool is shut down.
absl::StatusOr<std::vector<uint64_t>> FindArmstrongThreads(uint64_t lo,
                                                           uint64_t hi,
                                                           int parts,
                                                           ThreadPool& pool);

// FindArmstrong over `parts` sub-ranges, each in a forked child process that
// sends its list back through a pipe; the same sorted list as
// FindArmstrong(lo, hi). A child that fails is an error naming its range.
// Fork before starting threads (see process.h).
absl::StatusOr<std::vector<uint64_t>> FindArmstrongProcesses(uint64_t lo,
                                                             uint64_t hi,
                                                             int parts);

// The Armstrong numbers in [lo, hi), ascending, by digit multisets; the same
// list as FindArmstrong(lo, hi). `hi` is 128 bits wide so that 2^64, the
// whole 64-bit range, can be given; larger values mean 2^64.
std::vector<uint64_t> ArmstrongBetween(uint64_t lo, absl::uint128 hi);

// The same, split across `pool` by digit count and count of nines, the
// largest parts first so that the threads finish together. Fails only if the
// pool is shut down.
absl::StatusOr<std::vector<uint64_t>> ArmstrongBetween(uint64_t lo,
                                                       absl::uint128 hi,
                                                       ThreadPool& pool);

// The positive Armstrong numbers below `limit` (OEIS A005188):
// ArmstrongBelow(absl::MakeUint128(1, 0)) is all 50 below 2^64.
std::vector<uint64_t> ArmstrongBelow(absl::uint128 limit);

}  // namespace concurrency

#endif  // CONCURRENCY_ARMSTRONG_H_
