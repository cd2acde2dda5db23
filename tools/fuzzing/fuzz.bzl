"""cc_fuzz_target: one libFuzzer target, and a test that replays its corpus.

    cc_fuzz_target(
        name = "request_fuzzer",       # defines LLVMFuzzerTestOneInput
        srcs = ["request_fuzzer.cc"],
        deps = [":request"],
    )

makes
  - `:request_fuzzer`, a binary. Under --config=fuzz (clang-14) it is a
    libFuzzer fuzzer built with ASan+UBSan; elsewhere it replays the files
    and directories given to it (tools/fuzzing/replay_main.cc).
  - `:request_fuzzer_corpus_test`, a test that replays every file of
    `testdata/request_fuzzer/` (the seed corpus, and every input that ever
    crashed) with the ordinary compiler: `bazel test //...` runs it, no
    libFuzzer needed.
"""

load("//:copts.bzl", "COPTS")

def cc_fuzz_target(name, srcs, deps = [], corpus = None, size = "small"):
    corpus = corpus or "testdata/" + name
    native.filegroup(
        name = name + "_corpus",
        srcs = native.glob([corpus + "/**"]),
    )
    native.cc_binary(
        name = name,
        testonly = True,  # a test tool: it may use test-only references
        srcs = srcs,
        copts = COPTS,
        linkopts = select({
            "//tools/fuzzing:fuzzing": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        tags = ["fuzzer"],
        deps = deps + select({
            "//tools/fuzzing:fuzzing": [],
            "//conditions:default": ["//tools/fuzzing:replay_main"],
        }),
    )
    native.cc_test(
        name = name + "_corpus_test",
        size = size,
        srcs = srcs,
        copts = COPTS,
        args = ["$(locations :%s_corpus)" % name],
        data = [":" + name + "_corpus"],
        deps = deps + ["//tools/fuzzing:replay_main"],
    )
