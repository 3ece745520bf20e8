#!/usr/bin/env bash
# Runs one scenario (short duration) under Node's CPU profiler and prints where the profile went.
# Open the .cpuprofile in Chrome DevTools (Performance tab) or speedscope.
set -euo pipefail
[ $# -ge 1 ] && [ "$1" != "-h" ] && [ "$1" != "--help" ] || {
  echo "usage: scripts/profile-cpu.sh <scenario name or file> [extra tiervec loadtest run flags]" >&2; exit 2; }
scenario=$1; shift
cd "$(dirname "$0")/.."
dir="profiles/cpu-$(basename "$scenario" .toml)-$(date +%Y%m%dT%H%M%S)"
mkdir -p "$dir"
status=0
node --cpu-prof --cpu-prof-dir="$dir" bin/tiervec.js loadtest run "$scenario" --short "$@" || status=$?
echo "CPU profile(s) written to:"
ls -1 "$dir"/*.cpuprofile | sed 's/^/  /'
exit "$status"
