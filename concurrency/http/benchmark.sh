#!/usr/bin/env bash
# Runs //concurrency/http:http_benchmark after installing its peers, Debian's
# wrk and nginx-light. The install starts no nginx service: a policy-rc.d
# that refuses service starts is in place for it (and removed after, if this
# script put it there). The benchmark starts its own nginx on 127.0.0.1 and
# stops it by pid.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  placed=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    placed=yes
  fi
  apt-get install -y -q --no-install-recommends wrk nginx-light >&2
  if [[ -n "${placed}" ]]; then rm -f /usr/sbin/policy-rc.d; fi
fi
exec tools/bazel run -c opt //concurrency/http:http_benchmark -- "$@"
