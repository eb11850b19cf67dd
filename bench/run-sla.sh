#!/usr/bin/env bash
# SLA benchmark: bench/Permanence.Bench.Sla (Release) against its own Azurite (in memory). Part 1 needs no storage
# (SlaCalculator vs DuckDB in memory); part 2 runs SlaReportJob on Azurite. Extra arguments go to the benchmark
# (--runs 5 --calls 1000000 --messages 100000 --job-calls 100000 --job-clients 3 --part all by default).
# Stops everything it started.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$REPO_ROOT"
ensure_prerequisites
ensure_azurite

start_bench_azurite

dotnet build bench/Permanence.Bench.Sla -c Release -nologo -v:q >&2

azurite_cpu_before=$(cpu_seconds "$AZURITE_PID")
status=0
dotnet bench/Permanence.Bench.Sla/bin/Release/net10.0/Permanence.Bench.Sla.dll --storage "$STORAGE" "$@" || status=$?
echo "CPU seconds of Azurite during the run: $(awk -v a="$azurite_cpu_before" -v b="$(cpu_seconds "$AZURITE_PID")" 'BEGIN {print b - a}')"
exit "$status"
