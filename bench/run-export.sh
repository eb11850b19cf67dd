#!/usr/bin/env bash
# Export benchmark: bench/Permanence.Bench.Export (Release) against its own Azurite (in memory), in two processes:
# "load" writes the calls and makes the month's SLA report, then "measure", a fresh process, times ExportJob.RunAsync
# beside a plain scan of the same partition plus an upload of the same size, so that its peak working set is the
# export's. Extra arguments go to both (--calls 1000000 --other-clients 2 --runs 3 by default).
# Stops everything it started.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$REPO_ROOT"
ensure_prerequisites
ensure_azurite

start_bench_azurite

dotnet build bench/Permanence.Bench.Export -c Release -nologo -v:q >&2

BENCH=bench/Permanence.Bench.Export/bin/Release/net10.0/Permanence.Bench.Export.dll
started=$SECONDS
dotnet "$BENCH" --phase load --storage "$STORAGE" "$@"
azurite_cpu_before=$(cpu_seconds "$AZURITE_PID")
status=0
dotnet "$BENCH" --phase measure --storage "$STORAGE" "$@" || status=$?
echo "CPU seconds of Azurite during the measure phase: $(awk -v a="$azurite_cpu_before" -v b="$(cpu_seconds "$AZURITE_PID")" 'BEGIN {print b - a}'); whole run $((SECONDS - started)) s"
exit "$status"
