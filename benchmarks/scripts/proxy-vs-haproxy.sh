#!/usr/bin/env bash
# lodestar proxy vs HAProxy on the same loopback backends, same run (see benchmarks/README.md).
# Installs Debian's haproxy when missing (as root), builds the agent jar and the benchmarks, runs
# dev.lodestar.benchmarks.proxy.ProxyVsHaproxy and prints the load average before and after.
# Usage: benchmarks/scripts/proxy-vs-haproxy.sh [seconds-per-run=4] [rounds=3] [workers=64]
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v haproxy >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "haproxy is not installed; run as root or: apt-get install haproxy" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq --no-install-recommends haproxy </dev/null >/dev/null
fi
haproxy -v | sed -n 1p

if [ "${SKIP_BUILD:-}" != 1 ]; then
  mvn -q -B -pl discovery-agent,benchmarks -am package -DskipTests
fi
mkdir -p target # the program writes the proxies' logs there
echo "load before: $(uptime)"
java -cp benchmarks/target/benchmarks.jar dev.lodestar.benchmarks.proxy.ProxyVsHaproxy "$@"
echo "load after: $(uptime)"
