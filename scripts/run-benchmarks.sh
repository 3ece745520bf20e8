#!/usr/bin/env bash
# Runs the benchmark suites (`npm run bench`): all of them, or the suites and tasks whose name
# contains NAME. Extra arguments go to the runner: --quick, --compare bench/baseline.json,
# --tolerance-pct N, --save-baseline, --markdown FILE, --list. Results land in bench/results/.
# Exit codes: 0 fine, 1 a regression against --compare, 2 usage, 3 a suite broke.
set -euo pipefail
usage() {
  echo "usage: scripts/run-benchmarks.sh [all|NAME] [--quick] [--compare FILE] [--tolerance-pct N] [--save-baseline] [...]" >&2
  exit 2
}
selection=()
if [ $# -ge 1 ]; then
  case "$1" in
    -h|--help) usage ;;
    all) shift ;;
    -*) ;;
    *) selection=("$1"); shift ;;
  esac
fi
cd "$(dirname "$0")/.."
exec node bin/bench.js ${selection[@]+"${selection[@]}"} "$@"
