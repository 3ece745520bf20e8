#!/usr/bin/env bash
# Runs the shipped load-test suite: short (minutes, the CI smoke of the whole suite) or full
# (production lengths: hours). Reports land in reports/<suite>-<timestamp>/.
set -euo pipefail
usage() { echo "usage: scripts/run-load-test.sh short|full [extra tiervec loadtest flags]" >&2; exit 2; }
[ $# -ge 1 ] || usage
suite=$1; shift
case "$suite" in short|full) ;; -h|--help) usage ;; *) usage ;; esac
cd "$(dirname "$0")/.."
exec node bin/tiervec.js loadtest "$suite" "$@"
