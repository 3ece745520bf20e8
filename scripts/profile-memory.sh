#!/usr/bin/env bash
# Runs one scenario (short duration) under Node's sampling heap profiler and prints where the
# profile went. Open the .heapprofile in Chrome DevTools (Memory tab).
set -euo pipefail
[ $# -ge 1 ] && [ "$1" != "-h" ] && [ "$1" != "--help" ] || {
  echo "usage: scripts/profile-memory.sh <scenario name or file> [extra tiervec loadtest run flags]" >&2; exit 2; }
scenario=$1; shift
cd "$(dirname "$0")/.."
dir="profiles/heap-$(basename "$scenario" .toml)-$(date +%Y%m%dT%H%M%S)"
mkdir -p "$dir"
status=0
node --heap-prof --heap-prof-dir="$dir" bin/tiervec.js loadtest run "$scenario" --short "$@" || status=$?
echo "Heap profile(s) written to:"
ls -1 "$dir"/*.heapprofile | sed 's/^/  /'
exit "$status"
