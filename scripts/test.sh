#!/usr/bin/env bash
# The test command of the README: sets up everything a fresh machine lacks, then runs the
# whole suite (type-check + every test).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-tools.sh
scripts/install-deps.sh
npm test
