#!/usr/bin/env python3
"""The mutation check: every bug in mutations.txt must be caught by its test.

    tools/mutation/run.py            # all mutations
    tools/mutation/run.py --check    # only that each applies (exactly once)
    tools/mutation/run.py hub queue  # those whose name contains a word given

It copies the tree (the files git knows, as they are now) into a scratch
directory, checks there that every target of the list passes unmutated, then
puts in one mutation at a time, runs its target, and puts the file back. A
mutation whose target still passes survived; one that no longer builds is
not a behaviour change and counts as a failure of the list. Prints a line
per mutation and exits non-zero if any survived or did not build.

The scratch workspace shares tools/bazel's disk cache with the tree, so only
what a mutation touches is rebuilt.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIST = os.path.join(ROOT, "tools", "mutation", "mutations.txt")
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


def bazel_test(tree, targets):
    # A mutation that makes a test hang is caught by the timeout; 30 s is
    # twice the slowest test's time, so that costs no more than that.
    cmd = [os.path.join(tree, "tools", "bazel"), "test", "--noshow_progress",
           "--color=no", "--curses=no", "--test_output=errors",
           "--test_timeout=30"] + targets
    r = subprocess.run(cmd, cwd=tree, capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def main(argv):
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

    scratch = tempfile.mkdtemp(prefix="mutation-")
    tree = os.path.join(scratch, "main")
    os.makedirs(tree)
    copy_tree(tree)
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
    subprocess.run([os.path.join(tree, "tools", "bazel"), "clean", "--expunge"],
                   cwd=tree, capture_output=True)
    shutil.rmtree(scratch, ignore_errors=True)
    print(f"{len(mutations) - bad} of {len(mutations)} mutations caught "
          f"({time.time() - start:.0f} s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
