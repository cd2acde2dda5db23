#!/usr/bin/env python3
"""The tree's mechanical rules, checked so that READMEs and BUILDs cannot drift.

    python3 tools/tree_check.py

1. Every Bazel label a README names is a real target (one `bazel query`):
   `//pkg:name`, `//pkg` (the target named after the package), and `:name`
   in backquotes, read against the last `//pkg` label before it on the same
   line, else against the README's own package.
2. Every count a README states about the tree is the tree's: hand-written
   mutations (tools/mutation/mutations.txt), fuzzers (cc_fuzz_target) and
   test targets (`bazel query 'tests(//...)'`); and tools/fuzzing/README.md
   lists every fuzzer.
3. BUILD files: every `deps` list sorted as buildifier sorts it (local
   labels, then this repository's, then external ones; by package, then
   name); every lesson binary's source named `*_main.cc`; every googletest
   suite named `...Test`.

Prints each problem with its file and line; exits 1 if there is any.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def git_files(*patterns):
    out = subprocess.run(["git", "ls-files", "--", *patterns], cwd=ROOT,
                         check=True, capture_output=True, text=True).stdout
    return [f for f in out.split() if not f.startswith("third_party/")]


def bazel_query(expr):
    out = subprocess.run(
        [os.path.join(ROOT, "tools", "bazel"), "query", "--output=label", expr],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return out.split()


LABEL = re.compile(r"(@[\w.-]+)?//([a-z0-9_/.-]*)(?::([A-Za-z0-9_./+-]+))?")
COMMAND = re.compile(r"bazel (?:run|test|build)(?: -c opt)? $")


def readme_labels(path):
    """(line number, label) of every target the README names."""
    own = os.path.dirname(path)
    found = []
    in_code = False
    for number, line in enumerate(open(os.path.join(ROOT, path), encoding="utf-8"), 1):
        if line.startswith("```"):
            in_code = not in_code
        events = []
        for m in LABEL.finditer(line):
            repo, package, name = m.group(1), m.group(2).rstrip("/."), m.group(3)
            if repo:  # another repository's: its `:name`s are not ours
                events.append((m.start(), "@", None))
                continue
            if "..." in m.group(2) or not package or name in ("all", "*"):
                continue  # a pattern, not a target
            if line[m.end():m.end() + 1] == "/" or "." in package.split("/")[-1]:
                continue  # a path (//foo/bar/), not a label
            if name is None and not COMMAND.search(line[:m.start()]):
                # `//pkg` in prose names the package: its BUILD must exist.
                events.append((m.start(), package, f"package {package}"))
                continue
            events.append((m.start(), package,
                           f"//{package}:{name or package.split('/')[-1]}"))
        for m in re.finditer(r"`:([a-z][a-z0-9_]*)`", line):
            events.append((m.start(), None, m.group(1)))
        if in_code:
            events = [e for e in events if e[1] is not None]
        context = own
        for _, package, label in sorted(events, key=lambda e: e[0]):
            if package is not None:
                context = package
                if label is not None:
                    found.append((number, label))
            elif context != "@":
                found.append((number, f"//{context}:{label}"))
    return found


def check_labels(problems):
    targets = set(bazel_query("//...:*"))
    named = set()  # (README's package, label)
    for readme in git_files("*README.md"):
        for number, label in readme_labels(readme):
            named.add((os.path.dirname(readme), label))
            if label.startswith("package "):
                build = os.path.join(ROOT, label.split()[1], "BUILD")
                if not os.path.exists(build):
                    problems.append(f"{readme}:{number}: no package //{label.split()[1]}")
            elif label not in targets:
                problems.append(f"{readme}:{number}: no target {label}")
    # The converse: each library and binary is in its package's README.
    rules = bazel_query("kind('cc_library|cc_binary|alias', //...) except "
                        "attr(tags, fuzzer, //...)")
    for rule in rules:
        package = rule[2:].split(":")[0]
        if (package, rule) not in named and os.path.exists(os.path.join(ROOT, package, "README.md")):
            problems.append(f"{package}/README.md: does not name {rule}")


def count_mutations():
    text = open(os.path.join(ROOT, "tools", "mutation", "mutations.txt"),
                encoding="utf-8").read()
    return len(re.findall(r"^name: ", text, re.M))


def check_counts(problems):
    fuzzers = bazel_query("attr(tags, fuzzer, //...) intersect kind(rule, //...)")
    fuzzers = [f for f in fuzzers if f.endswith("_fuzzer")]
    counts = {
        "hand-written mutations": (re.compile(
            r"(\d[\d,]*) (?:one-line bugs|hand-written mutations|mutations)\b"),
            count_mutations()),
        "fuzzers": (re.compile(r"(\d[\d,]*) (?:fuzzers|fuzz targets)\b"),
                    len(fuzzers)),
        "test targets": (re.compile(r"(\d[\d,]*) test targets\b"),
                         len(bazel_query("tests(//...)"))),
    }
    for readme in git_files("*README.md"):
        for number, line in enumerate(open(os.path.join(ROOT, readme), encoding="utf-8"), 1):
            for what, (pattern, actual) in counts.items():
                for m in pattern.finditer(line):
                    stated = int(m.group(1).replace(",", ""))
                    if stated != actual:
                        problems.append(f"{readme}:{number}: says {stated} {what}; "
                                        f"the tree has {actual}")
    listed = open(os.path.join(ROOT, "tools", "fuzzing", "README.md"),
                  encoding="utf-8").read()
    for f in fuzzers:
        if f"`{f}`" not in listed:
            problems.append(f"tools/fuzzing/README.md: does not list {f}")


def dep_key(label):
    kind = 0 if label.startswith(":") else 1 if label.startswith("//") else 2
    package, _, name = label.partition(":")
    return (kind, package, name)


def check_builds(problems):
    for build in git_files("BUILD", "*/BUILD"):
        text = open(os.path.join(ROOT, build), encoding="utf-8").read()
        for m in re.finditer(r"\n(\s*)deps = \[\n((?:\1    \"[^\"]+\",\n)+)\1\]", text):
            labels = re.findall(r"\"([^\"]+)\"", m.group(2))
            if labels != sorted(labels, key=dep_key):
                number = text[:m.start()].count("\n") + 2
                problems.append(f"{build}:{number}: deps not sorted")
        if re.search(r"^\[\w+\(", text, re.M):
            problems.append(f"{build}: a list comprehension makes targets; "
                            "write them out so that a grep finds each")
    # Fuzzers and benchmarks are binaries of a kind their suffix names.
    sources = bazel_query(
        "labels(srcs, kind(cc_binary, //...) except attr(tags, "
        "'fuzzer|benchmark', //...))")
    for src in sources:
        if src.endswith(".cc") and not src.endswith("_main.cc") \
                and not src.startswith("//tools/"):
            main = open(os.path.join(ROOT, src[2:].replace(":", "/")),
                        encoding="utf-8").read()
            if re.search(r"\bint main\(", main):
                problems.append(f"{src}: holds main(); name it *_main.cc")
    suite = re.compile(r"^(?:TEST|TEST_F|TEST_P|TYPED_TEST)\((\w+),", re.M)
    for test in git_files("*_test.cc"):
        text = open(os.path.join(ROOT, test), encoding="utf-8").read()
        for m in suite.finditer(text):
            if not m.group(1).endswith("Test"):
                number = text[:m.start()].count("\n") + 1
                problems.append(f"{test}:{number}: suite {m.group(1)}: "
                                "name it ...Test")


def main():
    problems = []
    check_labels(problems)
    check_counts(problems)
    check_builds(problems)
    for p in problems:
        print(p)
    print(f"tree check: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
