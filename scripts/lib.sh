# Shared by scripts/run.sh and scripts/test.sh. Sourced, not run.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AZURITE_VERSION="3.37.0"
TOOLS_DIR="$REPO_ROOT/.tools"
AZURITE_BIN="$TOOLS_DIR/azurite/node_modules/.bin/azurite"
DEV_ACCOUNT="devstoreaccount1"
DEV_ACCOUNT_KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
# A second account for the tests, so the two test hosts never share tables, queues or containers: the Functions
# host uses this one, Standalone the default one. Not a secret (it only opens a test Azurite in memory);
# tests/Permanence.Integration.Tests/Hosts/TestEnvironment.cs holds the same name and key.
FUNCTIONS_ACCOUNT="functionsaccount"
FUNCTIONS_ACCOUNT_KEY="cGVybWFuZW5jZS1mdW5jdGlvbnMtdGVzdC1hY2NvdW50LWtleS1ub3QtYS1zZWNyZXQtMDEyMzQ1Njc4OWFi"
# A third one for the end-to-end routing tests, whose hosts consume their routing queue with running workers.
ROUTING_ACCOUNT="routingaccount"
ROUTING_ACCOUNT_KEY="cGVybWFuZW5jZS1yb3V0aW5nLWUyZS10ZXN0LWFjY291bnQta2V5LW5vdC1hLXNlY3JldC0wMTIz"
# A fourth one for the monthly jobs tests, whose runs walk every client of their account.
JOBS_ACCOUNT="jobsaccount"
JOBS_ACCOUNT_KEY="cGVybWFuZW5jZS1tb250aGx5LWpvYnMtdGVzdC1hY2NvdW50LWtleS1ub3QtYS1zZWNyZXQtMDE="

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '[permanence] %s\n' "$*" >&2; }

require() {
  command -v "$1" >/dev/null 2>&1 || { log "missing prerequisite: $1 ($2)"; exit 2; }
}

ensure_prerequisites() {
  require dotnet ".NET SDK 10"
  require node "Node.js >= 20, for Azurite"
  require npm "npm, for Azurite"
}

# Azurite from npm at a pinned version, under .tools/ (git-ignored).
ensure_azurite() {
  if [[ -x "$AZURITE_BIN" ]] && grep -q "\"version\": \"$AZURITE_VERSION\"" "$TOOLS_DIR/azurite/node_modules/azurite/package.json" 2>/dev/null; then
    return
  fi
  log "installing azurite@$AZURITE_VERSION from npm into .tools/azurite"
  mkdir -p "$TOOLS_DIR/azurite"
  npm install --prefix "$TOOLS_DIR/azurite" --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION" >&2
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

connection_string() { # blobPort queuePort tablePort [account accountKey]
  local account="${4:-$DEV_ACCOUNT}" key="${5:-$DEV_ACCOUNT_KEY}"
  printf 'DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=http://127.0.0.1:%s/%s;QueueEndpoint=http://127.0.0.1:%s/%s;TableEndpoint=http://127.0.0.1:%s/%s;' \
    "$account" "$key" "$1" "$account" "$2" "$account" "$3" "$account"
}

# For AZURITE_ACCOUNTS ("name:key;name:key"): naming any account turns off Azurite's default one, so it is listed too.
test_accounts() {
  printf '%s:%s;%s:%s;%s:%s;%s:%s' "$DEV_ACCOUNT" "$DEV_ACCOUNT_KEY" "$FUNCTIONS_ACCOUNT" "$FUNCTIONS_ACCOUNT_KEY" "$ROUTING_ACCOUNT" "$ROUTING_ACCOUNT_KEY" "$JOBS_ACCOUNT" "$JOBS_ACCOUNT_KEY"
}

# start_azurite DATA_DIR BLOB QUEUE TABLE [--inMemoryPersistence]; sets AZURITE_PID.
start_azurite() {
  local dir="$1" blob="$2" queue="$3" table="$4"; shift 4
  mkdir -p "$dir"
  local location=(--location "$dir")
  [[ " $* " == *" --inMemoryPersistence "* ]] && location=()
  "$AZURITE_BIN" --silent --skipApiVersionCheck "${location[@]}" \
    --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
    --blobPort "$blob" --queuePort "$queue" --tablePort "$table" "$@" >"$dir/azurite.log" 2>&1 &
  AZURITE_PID=$!
  local i
  for i in $(seq 1 120); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$table") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$blob") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$queue") 2>/dev/null; then
      log "azurite listening (blob $blob, queue $queue, table $table), pid $AZURITE_PID"
      return
    fi
    if ! kill -0 "$AZURITE_PID" 2>/dev/null; then
      log "azurite exited early:"; cat "$dir/azurite.log" >&2; exit 1
    fi
    sleep 0.5
  done
  log "azurite did not start within 60 s"; exit 1
}

stop_pid() {
  local pid="${1:-}"
  [[ -z "$pid" ]] && return
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  fi
}

# Benchmarks (bench/run-*.sh): an Azurite of their own, in memory, on free ports. Sets DATA_DIR, AZURITE_PID and
# STORAGE; on exit stops it and APP_PID (a host the benchmark started, if any) and removes DATA_DIR.
start_bench_azurite() {
  DATA_DIR="$(mktemp -d -t permanence-bench-XXXXXX)"
  AZURITE_PID=""; APP_PID="${APP_PID:-}"
  trap 'stop_pid "$APP_PID"; stop_pid "$AZURITE_PID"; rm -rf "$DATA_DIR"' EXIT INT TERM
  local blob queue table
  blob=$(free_port); queue=$(free_port); table=$(free_port)
  start_azurite "$DATA_DIR" "$blob" "$queue" "$table" --inMemoryPersistence
  STORAGE="$(connection_string "$blob" "$queue" "$table")"
}

# CPU seconds (user + system) a process has used so far.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }

# README, "The Service Bus extension build mode": the official Service Bus extension when the feed serves it, else the compat build (said on the console).
detect_servicebus_mode() {
  if dotnet restore "$REPO_ROOT/src/Permanence.Functions/Permanence.Functions.csproj" -p:ServiceBusExtension=official >/tmp/permanence-sb-restore.log 2>&1; then
    SERVICEBUS_MODE=official
    log "Service Bus extension: official package Microsoft.Azure.Functions.Worker.Extensions.ServiceBus restored"
  else
    SERVICEBUS_MODE=compat
    log "Service Bus extension: the official package cannot be restored from this NuGet feed;"
    log "  building with -p:ServiceBusExtension=compat (source-compatible attribute, not publishable)"
  fi
  export SERVICEBUS_MODE
}
