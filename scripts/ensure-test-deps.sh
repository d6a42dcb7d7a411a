#!/usr/bin/env bash
# Installs the Debian packages the test suite needs when they are missing (as root, with apt-get),
# or says exactly what to install. The Go-built tools (kube-apiserver, etcd, helm) are built on
# demand by the test harness itself (scripts/build-tools.sh).
set -euo pipefail
need=()
command -v openssl >/dev/null || need+=(openssl)      # certificates of the local control plane
# promtool (alert rule tests) and the prometheus server (test/integration/prometheus.test.ts) come together.
{ command -v promtool && command -v prometheus; } >/dev/null || need+=(prometheus)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "[test-deps] installing ${need[*]} (Debian packages)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "[test-deps] missing Debian packages: ${need[*]} — install them (apt-get install ${need[*]}) and run the tests again" >&2
  exit 1
fi
