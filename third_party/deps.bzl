"""Every external repository of the project, each with an offline source.

Bazel 4.2.3 would download rules_cc, rules_java, platforms, bazel_skylib and
remote_coverage_tools from the internet; here each is a local stand-in. The
design's libraries come from Debian: abseil and googletest are built from
Debian's source (so that sanitizers instrument them), the others are Debian's
prebuilt -dev packages. tools/bazel installs all of it.

Another workspace that depends on one of our packages calls this macro from its
own WORKSPACE, with `path` the location of this repository relative to it:

    local_repository(name = "cpp_tutorial", path = "../cpp_tutorial")
    load("@cpp_tutorial//third_party:deps.bzl", "cpp_tutorial_dependencies")
    cpp_tutorial_dependencies(path = "../cpp_tutorial")
"""

load("//third_party:offline_archive.bzl", "offline_archive")

def cpp_tutorial_dependencies(path = "."):
    """Declares the external repositories; `path` is this repository's root."""

    # Stand-ins for what Bazel's own WORKSPACE suffix would download.
    native.local_repository(
        name = "rules_cc",  # re-exports the native C++ rules
        path = path + "/third_party/rules_cc",
    )
    native.local_repository(
        name = "remote_coverage_tools",  # placeholders: no `bazel coverage`
        path = path + "/third_party/remote_coverage_tools",
    )
    native.local_repository(
        name = "rules_java",  # Debian package bazel-rules-java
        path = "/usr/share/bazel/rules/java",
    )
    native.local_repository(
        name = "platforms",  # Debian package bazel-platforms
        path = "/usr/share/bazel/tools/platforms",
    )
    native.local_repository(
        name = "bazel_skylib",  # Debian package bazel-skylib
        path = "/usr/share/bazel/tools/skylib",
    )

    # abseil, from Debian's source package `abseil` (its own BUILD files).
    offline_archive(
        name = "com_google_absl",
        archive = "abseil_20220623.1.orig.tar.gz",
        sha256 = "abfe2897f3a30edaa74bc34365afe3c2a3cd012091a97dc7e008f7016adcd5fe",
        strip_prefix = "abseil-20220623.1",
    )

    # googletest and googlemock, from the sources Debian's `googletest`
    # package installs in /usr/src/googletest.
    native.new_local_repository(
        name = "com_google_googletest",
        path = "/usr/src/googletest",
        build_file = "@cpp_tutorial//third_party:googletest.BUILD",
    )

    # Prebuilt Debian -dev packages: headers in /usr/include, libraries on the
    # default linker path.
    for name in ["com_github_google_benchmark", "curl", "libdeflate", "pugixml", "tbb", "zlib"]:
        native.new_local_repository(
            name = name,
            path = "/usr/include",
            build_file = "@cpp_tutorial//third_party:%s.BUILD" % name,
        )
    native.new_local_repository(
        name = "opencv",
        path = "/usr/include/opencv4",
        build_file = "@cpp_tutorial//third_party:opencv.BUILD",
    )
