#!/bin/sh
echo "bazel coverage is not available offline: use gcov/lcov outside Bazel" >&2
exit 1
