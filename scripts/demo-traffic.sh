#!/usr/bin/env bash
# Posts a realistic generated month of calls and messages for the demo client 'althea' through the HTTP API of
# the running system (scripts/run.sh), so that the monthly SLA report has something to show.
#   scripts/demo-traffic.sh                 # October 2026 (the demo contract's first month)
#   scripts/demo-traffic.sh --month 2026-11 --calls 3000 --seed 7
# Then: POST /api/admin/jobs/sla-report?client=althea&period=2026-10 (see docs/guides/reports.md).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
require node "Node.js >= 20"

MONTH="2026-10"; CALLS=3200; SEED=42
BASE_URL="${PERMANENCE_BASE_URL:-http://127.0.0.1:${PERMANENCE_PORT:-7071}}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --month) MONTH="$2"; shift 2 ;;
    --calls) CALLS="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --base-url) BASE_URL="$2"; shift 2 ;;
    *) log "unknown option $1 (--month YYYY-MM, --calls N, --seed N, --base-url URL)"; exit 2 ;;
  esac
done
[[ "$MONTH" =~ ^[0-9]{4}-(0[1-9]|1[0-2])$ ]] || { log "--month must be YYYY-MM"; exit 2; }
[[ "$CALLS" =~ ^[0-9]+$ && "$CALLS" -ge 1 && "$CALLS" -le 50000 ]] || { log "--calls must be 1 to 50000"; exit 2; }
[[ "$SEED" =~ ^[0-9]+$ ]] || { log "--seed must be a number"; exit 2; }

node "$REPO_ROOT/scripts/demo-traffic.mjs" "$BASE_URL" "$MONTH" "$CALLS" "$SEED"
