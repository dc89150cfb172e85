#!/usr/bin/env bash
# The test command of the README: sets up everything a fresh machine lacks, then runs the
# whole suite (type-check + every test, end-to-end ones against a real Podman).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-tools.sh
scripts/install-deps.sh
mkdir -p .test-work
set +e
npm test 2>&1 | tee .test-work/test.log
status=${PIPESTATUS[0]}
set -e
# tap's closing line is "# { total: N, pass: P, fail: F, ... }"; say it the plain way too.
summary=$(grep -E '^# \{ total: [0-9]+' .test-work/test.log | tail -n 1 || true)
if [ -n "$summary" ]; then
  pass=$(sed -nE 's/.*pass: ([0-9]+).*/\1/p' <<<"$summary"); pass=${pass:-0}
  fail=$(sed -nE 's/.*fail: ([0-9]+).*/\1/p' <<<"$summary"); fail=${fail:-0}
  skip=$(sed -nE 's/.*skip: ([0-9]+).*/\1/p' <<<"$summary"); skip=${skip:-0}
  echo "${pass} passed, ${fail} failed, ${skip} skipped"
fi
# tap can fail a run whose tests all pass (a coverage floor, a before/after script): say so.
echo "exit status ${status}"
exit "$status"
