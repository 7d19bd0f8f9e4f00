#!/usr/bin/env bash
# Fails when the build, the tests or CI name a path outside the repository (the shared fixture
# folder beside a developer's checkout, which a user's clone does not have). The data lives in
# testdata/. .ci/run also runs the tests in a copy of the repository with nothing beside it, which
# catches a read this pattern misses.
set -euo pipefail
cd "$(dirname "$0")/.."
hits=$(git grep -nE '\.\./shared|lodestar\.shared|LODESTAR_SHARED|/work/shared' -- \
  '*.java' '*.xml' '*.properties' '*.sh' '.ci/*' ':!.ci/check-no-outside-reads.sh' || true)
if [ -n "$hits" ]; then
  echo "check-no-outside-reads: the build reads outside the repository:" >&2
  echo "$hits" >&2
  exit 1
fi
echo "check-no-outside-reads: ok"
