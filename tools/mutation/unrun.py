#!/usr/bin/env python3
"""Generated mutants on lines no test runs: survivors before any is drawn.

    tools/mutation/unrun.py [--out=DIR]   # about 25 minutes on 2 cores

Builds and runs every test with clang's source-based coverage of our own
code (`--config=clang`, its own output tree: `--platform_suffix=cov`),
merges the profiles with llvm-profdata-14, exports the line counts of every
test and binary with llvm-cov-14, and prints, per package, how many of
generate.py's mutants (less equivalent.txt's) sit on a line that ran zero
times; DIR/unrun.txt lists them as diffs. A mutant there survives whatever
it changes: the tests it needs do not exist yet.

Lines that run only in a forked child that ends with _exit() (Spawn's
children) count as unrun: the child's profile is never written.
"""
import collections
import glob
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate  # noqa: E402
import run  # noqa: E402

ROOT = run.ROOT
OURS = ("camera", "classes", "concurrency", "decorators")


def bazel(*args, **kwargs):
    return subprocess.run([os.path.join(ROOT, "tools", "bazel"), *args],
                          cwd=ROOT, **kwargs)


def run_tests(raw_dir):
    flag = ",".join(["-fprofile-instr-generate", "-fcoverage-mapping"])
    bazel("test", "--config=clang", "--platform_suffix=cov",
          "--per_file_copt=^(" + "|".join(OURS) + ")/.*@" + flag,
          "--linkopt=-fprofile-instr-generate",
          f"--test_env=LLVM_PROFILE_FILE={raw_dir}/%p-%m.profraw",
          "--strategy=TestRunner=standalone", "--test_output=errors",
          "--keep_going", "//...")  # a failing test still leaves its profile


def line_counts(out_dir):
    """{file: {line: count}} over every instrumented binary."""
    profile = os.path.join(out_dir, "all.profdata")
    raws = glob.glob(os.path.join(out_dir, "raw", "*.profraw"))
    subprocess.run(["llvm-profdata-14", "merge", "-sparse", *raws, "-o",
                    profile], check=True)
    exec_root = bazel("info", "execution_root", capture_output=True,
                      text=True).stdout.strip()
    bins = glob.glob(os.path.join(exec_root, "bazel-out", "*cov", "bin"))[0]
    objects = []
    for d, _, files in os.walk(bins):
        if ".runfiles" in d or not d[len(bins) + 1:].startswith(OURS):
            continue
        for f in files:
            path = os.path.join(d, f)
            if os.access(path, os.X_OK) and open(path, "rb").read(4) == b"\x7fELF":
                objects.append(path)
    lcov = subprocess.run(
        ["llvm-cov-14", "export", "-format=lcov", f"-instr-profile={profile}",
         objects[0], *[f"-object={o}" for o in objects[1:]]],
        cwd=exec_root, capture_output=True, text=True).stdout
    counts = collections.defaultdict(dict)
    current = None
    for line in lcov.splitlines():
        if line.startswith("SF:"):
            current = line[3:].replace("/proc/self/cwd/", "")
        elif line.startswith("DA:") and current:
            number, count = (int(x) for x in line[3:].split(",")[:2])
            counts[current][number] = max(counts[current].get(number, 0), count)
    return counts


def main(argv):
    opts = dict(a[2:].split("=", 1) for a in argv if a.startswith("--") and "=" in a)
    out_dir = os.path.abspath(opts.get("out", "/tmp/mutation-unrun"))
    raw_dir = os.path.join(out_dir, "raw")
    os.makedirs(raw_dir, exist_ok=True)
    for old in glob.glob(os.path.join(raw_dir, "*.profraw")):
        os.remove(old)
    run_tests(raw_dir)
    counts = line_counts(out_dir)
    equivalent = run.parse_equivalent(run.EQUIVALENT)
    mutants = [m for m in generate.all_mutants(ROOT) if m.key not in equivalent]
    unrun, total = collections.Counter(), collections.Counter()
    with open(os.path.join(out_dir, "unrun.txt"), "w", encoding="utf-8") as out:
        for m in mutants:
            total[m.package] += 1
            if counts.get(m.file, {}).get(m.line, 1) == 0:
                unrun[m.package] += 1
                out.write(f"{m.name}\n  - {m.before.strip()}\n"
                          f"  + {m.after.strip()}\n")
    for package in sorted(total):
        print(f"{package:30} {unrun[package]:5} of {total[package]:5} on unrun lines")
    print(f"{'total':30} {sum(unrun.values()):5} of {len(mutants):5}; "
          f"listed in {out_dir}/unrun.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
