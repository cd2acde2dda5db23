#!/usr/bin/env python3
"""The mutation check: every bug in mutations.txt must be caught by its test.

    tools/mutation/run.py            # all mutations
    tools/mutation/run.py --check    # only that each applies (exactly once)
    tools/mutation/run.py hub queue  # those whose name contains a word given
    tools/mutation/run.py --random=N --seed=S [--min_score=P] [--results=F]
                                     # N generated mutants (generate.py)
    ... --results=F --reverse        # a second run through the same sample,
                                     # from its end, sharing F: two at once
    tools/mutation/run.py --report --results=F [--min_score=P]
                                     # the table of a recorded run, with
                                     # equivalent.txt's entries left out
    tools/mutation/run.py --rejudge --results=F [--reverse]
                                     # runs the recorded survivors again
                                     # against today's tests, recording
                                     # their new verdicts in F


It copies the tree (the files git knows, as they are now) into a scratch
directory, checks there that every target of the list passes unmutated, then
puts in one mutation at a time, runs its target, and puts the file back. A
mutation whose target still passes survived; one that no longer builds is
not a behaviour change and counts as a failure of the list. Prints a line
per mutation and exits non-zero if any survived or did not build.

The scratch workspace shares tools/bazel's disk cache with the tree, so only
what a mutation touches is rebuilt.

A generated mutant that the package's tests let through is run once more
under ASan+UBSan (`--config=asan`), as CI runs every test: a read past a
buffer is caught there. That second look is given only where the package's
unmutated tests pass under ASan in the same scratch tree.
"""
import collections
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIST = os.path.join(ROOT, "tools", "mutation", "mutations.txt")
EQUIVALENT = os.path.join(ROOT, "tools", "mutation", "equivalent.txt")
KEYS = ("name", "file", "target", "find", "put")


def parse(path):
    mutations, block = [], {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.startswith("#"):
                continue
            if not line.strip():
                if block:
                    mutations.append(block)
                block = {}
                continue
            key, sep, value = line.partition(": ")
            if not sep or key not in KEYS or key in block:
                sys.exit(f"{path}:{number}: expected one of {KEYS} once per block: {line}")
            block[key] = value
            block.setdefault("line", number)
    if block:
        mutations.append(block)
    for m in mutations:
        missing = [k for k in KEYS if k not in m]
        if missing:
            sys.exit(f"{path}:{m['line']}: block lacks {missing}")
    return mutations


def check_applies(tree, m):
    path = os.path.join(tree, m["file"])
    if not os.path.exists(path):
        return f"no file {m['file']}"
    count = open(path, encoding="utf-8").read().count(m["find"])
    return None if count == 1 else f"'find' occurs {count} times in {m['file']}"


def copy_tree(scratch):
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.split(b"\0")
    for name in filter(None, (f.decode() for f in files)):
        src = os.path.join(ROOT, name)
        if not os.path.exists(src):
            continue  # deleted in the work tree, not yet committed
        dst = os.path.join(scratch, name)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst, follow_symlinks=False)
    downloads = os.path.join(ROOT, "third_party", "downloads")
    if os.path.isdir(downloads):
        shutil.copytree(downloads, os.path.join(scratch, "third_party", "downloads"),
                        dirs_exist_ok=True)


def bazel_test(tree, targets, *flags):
    # A mutation that makes a test hang is caught by the timeout: 60 s for a
    # small test, 300 s for a medium one (the streamer's), several times what
    # each takes on two busy cores, so that a hang costs no more than that.
    cmd = [os.path.join(tree, "tools", "bazel"), "test", "--noshow_progress",
           "--color=no", "--curses=no", "--test_output=errors",
           "--test_timeout=60,300,900,3600", *flags] + targets
    r = subprocess.run(cmd, cwd=tree, capture_output=True, text=True,
                       errors="replace")
    return r.returncode, r.stdout + r.stderr


def make_scratch():
    scratch = tempfile.mkdtemp(prefix="mutation-")
    tree = os.path.join(scratch, "main")
    os.makedirs(tree)
    copy_tree(tree)
    return scratch, tree


def drop_scratch(scratch, tree):
    subprocess.run([os.path.join(tree, "tools", "bazel"), "clean", "--expunge"],
                   cwd=tree, capture_output=True)
    shutil.rmtree(scratch, ignore_errors=True)


def parse_equivalent(path):
    """{(file, original, mutated): reason} from equivalent.txt.

    A block per mutant: `file:`, `line:` (the original, stripped), `put:`
    (the mutated line, stripped) and `why:`, one line each.
    """
    entries, block = {}, {}
    keys = ("file", "line", "put", "why")

    def close(number):
        if not block:
            return
        missing = [k for k in keys if k not in block]
        if missing:
            sys.exit(f"{path}:{number}: block lacks {missing}")
        entries[(block["file"], block["line"], block["put"])] = block["why"]
        block.clear()

    if not os.path.exists(path):
        return entries
    number = 0
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.startswith("#"):
                continue
            if not line.strip():
                close(number)
                continue
            key, sep, value = line.partition(": ")
            if not sep or key not in keys or key in block:
                sys.exit(f"{path}:{number}: expected one of {keys} once per block")
            block[key] = value.strip()
        close(number)
    return entries


# Generated mutants run against `bazel test //pkg:all`: the first failing
# test is enough for a verdict, so the rest are not waited for.
SAMPLE_FLAGS = ("--build_tests_only", "--notest_keep_going")


def run_random(argv):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import generate  # pylint: disable=import-outside-toplevel

    opts = dict(a[2:].split("=", 1) for a in argv if a.startswith("--") and "=" in a)
    count = int(opts["random"])
    seed_text = opts.get("seed", "0")
    seed = int(seed_text, 0)  # 0x... for a commit hash
    min_score = float(opts.get("min_score", "0"))
    results_path = opts.get("results")
    under = opts.get("under", "")

    equivalent = parse_equivalent(EQUIVALENT)
    mutants = generate.all_mutants(ROOT, under)
    stale = set(equivalent) - {m.key for m in mutants}
    for key in sorted(stale):
        print(f"equivalent.txt names a mutant the generator no longer makes: {key}")
    if stale:
        return 1
    pool = [m for m in mutants if m.key not in equivalent]
    print(f"{len(mutants)} mutants generated, {len(mutants) - len(pool)} of them "
          f"named equivalent; drawing {count} with seed {seed}")
    # In the order drawn: a run cut short is still a uniform sample.
    sample = random.Random(seed).sample(pool, min(count, len(pool)))
    if "--reverse" in argv:
        sample.reverse()
    done = read_results(results_path)
    if all(m.name + m.after in done for m in sample):
        verdicts = collections.defaultdict(collections.Counter)
        for m in sample:
            verdicts[m.package][done[m.name + m.after]] += 1
        return report(verdicts, min_score, 0)

    scratch, tree = make_scratch()
    try:
        return run_sample(tree, sample, done, results_path, min_score)
    finally:
        drop_scratch(scratch, tree)


class MutantIndex:
    """Today's mutants, found by a recorded run's file and mutated line.

    Line numbers move when a file is edited elsewhere, so a record is
    matched by its mutated line; where several mutants of a file read the
    same (`return {};`), by the one nearest its recorded line (within 40).
    """

    def __init__(self, mutants):
        self.by_text = collections.defaultdict(list)
        for m in mutants:
            self.by_text[(m.file, m.after)].append(m)

    def find(self, record):
        file, line = record["name"].split(":")[:2]
        candidates = self.by_text.get((file, record["after"]), [])
        if record.get("before") is not None:
            candidates = [m for m in candidates if m.before == record["before"]]
        best = min(candidates, key=lambda m: abs(m.line - int(line)), default=None)
        if best is None or abs(best.line - int(line)) > 40:
            return None
        return best


def read_records(results_path):
    """{(file, mutated line): the latest record} of a results file."""
    latest = {}
    if results_path and os.path.exists(results_path):
        with open(results_path, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                latest[record_key(r)] = r
    return latest


def record_key(r):
    """A record's mutant: its name (file:line:col:op) as first recorded,
    and its mutated line. A rejudged verdict keeps the original name."""
    return (r.get("first_name", r["name"]), r["after"])


def read_results(results_path):
    """{mutant key: verdict} of the runs recorded in results_path."""
    done = {}
    if results_path and os.path.exists(results_path):
        with open(results_path, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                done[r["name"] + r["after"]] = r["verdict"]
    return done


def rejudge(argv):
    """Runs the survivors recorded in --results again, against today's tests."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import generate  # pylint: disable=import-outside-toplevel

    opts = dict(a[2:].split("=", 1) for a in argv if a.startswith("--") and "=" in a)
    results_path = opts["results"]
    equivalent = parse_equivalent(EQUIVALENT)
    index = MutantIndex(generate.all_mutants(ROOT))
    survivors = []
    for r in read_records(results_path).values():
        m = index.find(r)
        if r["verdict"] == "survived" and m is not None \
                and m.key not in equivalent:
            object.__setattr__(m, "first_name", record_key(r)[0])
            survivors.append(m)
    if "--reverse" in argv:
        survivors.reverse()
    print(f"{len(survivors)} survivors to judge again")
    scratch, tree = make_scratch()
    try:
        return run_sample(tree, survivors, {}, results_path, 0, rejudge=True)
    finally:
        drop_scratch(scratch, tree)


def run_sample(tree, sample, done, results_path, min_score, rejudge=False):
    start = time.time()
    packages = sorted({m.package for m in sample})
    rc, out = bazel_test(tree, [f"//{p}:all" for p in packages], "--build_tests_only")
    if rc != 0:
        print(out[-4000:])
        print("the unmutated tree does not pass its tests: no verdict")
        return 1
    print(f"unmutated: the tests of {len(packages)} packages pass "
          f"({time.time() - start:.0f} s)")

    verdicts = collections.defaultdict(collections.Counter)
    for m in sample:
        key = m.name + m.after
        # Another run may share the results file (run.py --reverse works
        # through the same sample from the other end).
        if rejudge:
            # Two rejudging runs (one --reverse) share the file: a verdict
            # newer than "survived" is the other's.
            r = read_records(results_path).get((m.first_name, m.after))
            if r is not None and r["verdict"] != "survived":
                continue
        else:
            done.update(read_results(results_path))
        if key in done:
            verdict = done[key]
        else:
            verdict, seconds, by = run_mutant(tree, m)
            label = f"{verdict} ({by})" if by else verdict
            print(f"{label:14} {seconds:4.0f} s  {m.name}", flush=True)
            if results_path:
                with open(results_path, "a", encoding="utf-8") as f:
                    record = {"name": m.name, "after": m.after,
                              "before": m.before, "verdict": verdict}
                    if by:
                        record["by"] = by
                    if getattr(m, "first_name", m.name) != m.name:
                        record["first_name"] = m.first_name
                    f.write(json.dumps(record) + "\n")
        if verdict != "caught":
            print(f"  {verdict}: {m.name}\n  - {m.before.strip()}\n  + {m.after.strip()}")
        verdicts[m.package][verdict] += 1
    return report(verdicts, min_score, time.time() - start)


# Packages whose unmutated tests pass under ASan+UBSan in this scratch tree.
ASAN_BASELINE = {}


def run_mutant(tree, m):
    """Returns (verdict, seconds, by): by is "asan" for a mutant that only
    ASan+UBSan caught."""
    path = os.path.join(tree, m.file)
    with open(path, encoding="utf-8") as f:
        original = f.read()
    lines = original.split("\n")
    if lines[m.line - 1] != m.before:
        sys.exit(f"{m.name}: the line is not what the generator read "
                 "(the tree changed while the run was starting)")
    mutated = "\n".join(lines[:m.line - 1] + [m.after] + lines[m.line:])
    targets = [f"//{m.package}:all"]
    t = time.time()
    with open(path, "w", encoding="utf-8") as f:
        f.write(mutated)
    rc, out = bazel_test(tree, targets, *SAMPLE_FLAGS)
    with open(path, "w", encoding="utf-8") as f:
        f.write(original)
    verdict = {3: "caught", 0: "survived", 1: "did-not-build"}.get(rc, f"error-{rc}")
    by = ""
    if verdict == "survived" and asan_baseline(tree, m.package):
        # CI runs every test under ASan+UBSan too, so a bug only they see (a
        # read past a buffer, an overflow) is a bug CI catches.
        with open(path, "w", encoding="utf-8") as f:
            f.write(mutated)
        rc, out = bazel_test(tree, targets, *SAMPLE_FLAGS, "--config=asan")
        with open(path, "w", encoding="utf-8") as f:
            f.write(original)
        if rc == 3:
            verdict, by = "caught", "asan"
    if verdict.startswith("error") or verdict == "did-not-build":
        print(out[-1500:])
    return verdict, time.time() - t, by


def asan_baseline(tree, package):
    """Whether the package's unmutated tests pass under ASan+UBSan (checked
    once per run): only then can a failure there be the mutant's."""
    if package not in ASAN_BASELINE:
        rc, out = bazel_test(tree, [f"//{package}:all"], "--build_tests_only",
                             "--config=asan")
        ASAN_BASELINE[package] = rc == 0
        if rc != 0:
            print(out[-1500:])
            print(f"//{package}: the unmutated tests fail under ASan: "
                  "survivors there get no second look")
    return ASAN_BASELINE[package]


def report(verdicts, min_score, seconds, per_package=False):
    """Prints the table; fails below min_score (in total, or in any package
    with per_package) or on a mutant that did not build."""
    print(f"\n{'package':28} {'caught':>7} {'survived':>9} {'no build':>9} "
          f"{'equiv.':>7} {'gone':>5} {'score':>7}")
    total = collections.Counter()
    low = []
    for package in sorted(verdicts):
        v = verdicts[package]
        total.update(v)
        judged = v["caught"] + v["survived"]
        score = 100.0 * v["caught"] / judged if judged else 100.0
        if score < min_score:
            low.append(package)
        print(f"{package:28} {v['caught']:7} {v['survived']:9} "
              f"{v['did-not-build']:9} {v['equivalent']:7} {v['gone']:5} "
              f"{score:6.1f}%")
    judged = total["caught"] + total["survived"]
    score = 100.0 * total["caught"] / judged if judged else 100.0
    print(f"{'total':28} {total['caught']:7} {total['survived']:9} "
          f"{total['did-not-build']:9} {total['equivalent']:7} "
          f"{total['gone']:5} {score:6.1f}%   ({seconds:.0f} s)")
    errors = sum(n for k, n in total.items() if k.startswith("error"))
    bad = total["did-not-build"] or errors or score < min_score \
        or (per_package and low)
    if bad:
        print(f"FAILED: a score below {min_score}% "
              f"{'(' + ', '.join(low) + ') ' if low else ''}"
              "or a mutant that did not build")
    return 1 if bad else 0


def report_recorded(argv):
    """The per-package table of the runs recorded in --results, judged with
    today's equivalent.txt; survivors listed with their diff."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import generate  # pylint: disable=import-outside-toplevel

    opts = dict(a[2:].split("=", 1) for a in argv if a.startswith("--") and "=" in a)
    min_score = float(opts.get("min_score", "0"))
    equivalent = parse_equivalent(EQUIVALENT)
    # By file and mutated line, not line number: edits elsewhere in a file
    # since the run moved its lines.
    index = MutantIndex(generate.all_mutants(ROOT))
    packages = dict(generate.library_files(ROOT))
    verdicts = collections.defaultdict(collections.Counter)
    with open(opts["results"], encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    latest = {}
    for r in records:  # a later verdict (a rejudged survivor) wins
        latest[record_key(r)] = r
    for r in latest.values():
        m = index.find(r)
        package = packages.get(r["name"].split(":")[0], "?")
        if m is None:
            # Gone: a rule added to the generator since skips it (most were
            # mutants that did not build), or its line was rewritten.
            # Counted apart, outside the score.
            verdicts[package]["gone"] += 1
            continue
        if m.key in equivalent:
            verdicts[package]["equivalent"] += 1
            continue
        verdicts[package][r["verdict"]] += 1
        if r["verdict"] != "caught":
            before = m.before.strip()
            print(f"  {r['verdict']}: {r['name']}\n  - {before}\n"
                  f"  + {r['after'].strip()}")
    print(f"{len(latest)} mutants recorded in {opts['results']}; "
          f"{sum(v['equivalent'] for v in verdicts.values())} named equivalent")
    return report(verdicts, min_score, 0, per_package=True)


def main(argv):
    if "--rejudge" in argv:
        return rejudge(argv)
    if "--report" in argv:
        return report_recorded(argv)
    if any(a.startswith("--random=") for a in argv):
        return run_random(argv)
    check_only = "--check" in argv
    words = [a for a in argv if not a.startswith("--")]
    mutations = [m for m in parse(LIST)
                 if not words or any(w in m["name"] for w in words)]
    problems = [(m, check_applies(ROOT, m)) for m in mutations]
    problems = [(m, p) for m, p in problems if p]
    for m, p in problems:
        print(f"BAD LIST  {m['name']}: {p}")
    if problems:
        return 1
    if check_only:
        print(f"{len(mutations)} mutations apply")
        return 0

    scratch, tree = make_scratch()
    try:
        return run_list(tree, mutations)
    finally:
        drop_scratch(scratch, tree)


def run_list(tree, mutations):
    targets = sorted({m["target"] for m in mutations})
    start = time.time()
    rc, out = bazel_test(tree, targets)
    if rc != 0:
        print(out[-4000:])
        print("the unmutated tree does not pass its tests: no verdict")
        return 1
    print(f"unmutated: {len(targets)} targets pass ({time.time() - start:.0f} s)")
    bad = 0
    for m in mutations:
        path = os.path.join(tree, m["file"])
        original = open(path, encoding="utf-8").read()
        with open(path, "w", encoding="utf-8") as f:
            f.write(original.replace(m["find"], m["put"], 1))
        t = time.time()
        rc, out = bazel_test(tree, [m["target"]])
        with open(path, "w", encoding="utf-8") as f:
            f.write(original)
        verdict = {3: "caught", 0: "SURVIVED"}.get(rc, "DOES NOT BUILD")
        bad += verdict != "caught"
        print(f"{verdict:14} {time.time() - t:5.0f} s  {m['target']:45} {m['name']}")
        if verdict == "DOES NOT BUILD":
            print(out[-2000:])
    print(f"{len(mutations) - bad} of {len(mutations)} mutations caught "
          f"({time.time() - start:.0f} s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
