#!/usr/bin/env bash
# Ingestion benchmark: its own Azurite (in memory) and Permanence.Standalone (Release, Kestrel on a free
# loopback port), then bench/Permanence.Bench.Ingestion. Extra arguments go to the benchmark
# (--events 20000 --concurrency 32 --rounds 3 --block 1000 by default). Stops everything it started.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$REPO_ROOT"
ensure_prerequisites
ensure_azurite

start_bench_azurite
PORT=$(free_port)

dotnet build src/Permanence.Standalone -c Release -nologo -v:q >&2
dotnet build bench/Permanence.Bench.Ingestion -c Release -nologo -v:q >&2
ASPNETCORE_ENVIRONMENT=Development Logging__LogLevel__Default=Warning Logging__LogLevel__Permanence=Warning \
Permanence__Storage__ConnectionString="$STORAGE" Permanence__PublicBaseUrl="http://127.0.0.1:$PORT" \
  dotnet src/Permanence.Standalone/bin/Release/net10.0/Permanence.Standalone.dll --urls "http://127.0.0.1:$PORT" \
  --contentRoot "$REPO_ROOT/src/Permanence.Standalone/bin/Release/net10.0" >"$DATA_DIR/standalone.log" 2>&1 &
APP_PID=$!
for i in $(seq 1 120); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  if ! kill -0 "$APP_PID" 2>/dev/null || [[ $i -eq 120 ]]; then log "the standalone host did not start:"; cat "$DATA_DIR/standalone.log" >&2; exit 1; fi
  sleep 0.5
done

app_cpu_before=$(cpu_seconds "$APP_PID"); azurite_cpu_before=$(cpu_seconds "$AZURITE_PID")
dotnet bench/Permanence.Bench.Ingestion/bin/Release/net10.0/Permanence.Bench.Ingestion.dll \
  --base-url "http://127.0.0.1:$PORT" --storage "$STORAGE" "$@"
echo "CPU seconds during the run: Permanence.Standalone $(awk -v a="$app_cpu_before" -v b="$(cpu_seconds "$APP_PID")" 'BEGIN {print b - a}'), Azurite $(awk -v a="$azurite_cpu_before" -v b="$(cpu_seconds "$AZURITE_PID")" 'BEGIN {print b - a}')"
