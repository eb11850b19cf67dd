#!/usr/bin/env bash
# The one command that runs every test: its own Azurite on free ports, every test project, Bicep build and
# lint of infra/, then Azurite stopped. Exits non-zero on any failure.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

ensure_prerequisites
ensure_azurite
detect_servicebus_mode

DATA_DIR="$(mktemp -d -t permanence-azurite-XXXXXX)"
AZURITE_PID=""
cleanup() {
  stop_pid "$AZURITE_PID"
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT INT TERM

BLOB=$(free_port); QUEUE=$(free_port); TABLE=$(free_port)
# Two storage accounts: the tests run the Standalone host on the default one and the Functions host on
# $FUNCTIONS_ACCOUNT (TestEnvironment derives its connection string), so the hosts' outboxes and queues are apart.
export AZURITE_ACCOUNTS="$(test_accounts)"
start_azurite "$DATA_DIR" "$BLOB" "$QUEUE" "$TABLE" --inMemoryPersistence
unset AZURITE_ACCOUNTS
export PERMANENCE_TEST_STORAGE="$(connection_string "$BLOB" "$QUEUE" "$TABLE")"

status=0
passed=0
failed=0
log "building (ServiceBusExtension=$SERVICEBUS_MODE)"
dotnet build Functions.sln -c Release -p:ServiceBusExtension="$SERVICEBUS_MODE" -nologo -v:q || status=$?

if [[ $status -eq 0 ]]; then
  for project in tests/*/*.csproj; do
    log "testing $project"
    output="$DATA_DIR/$(basename "$project").log"
    set +e
    # TreatNoTestsAsError: a project (or a filter) that runs no test is a failure, not a silent pass.
    dotnet test "$project" -c Release --no-build -p:ServiceBusExtension="$SERVICEBUS_MODE" -nologo \
      --logger "console;verbosity=normal" -- RunConfiguration.TreatNoTestsAsError=true 2>&1 | tee "$output"
    rc=${PIPESTATUS[0]}
    set -e
    if [[ $rc -ne 0 ]]; then log "FAILED: dotnet test $project exited $rc"; status=$rc; fi
    project_passed=$(awk '/^ +Passed: [0-9]+$/ {s+=$2} END {print s+0}' "$output")
    project_failed=$(awk '/^ +Failed: [0-9]+$/ {s+=$2} END {print s+0}' "$output")
    # Checked here too, whatever the runner's exit code: every test project must pass at least one test.
    if [[ $project_passed -eq 0 ]]; then
      log "FAILED: $project passed no test (ran none, or every test failed)"
      [[ $status -eq 0 ]] && status=1
    fi
    passed=$((passed + project_passed))
    failed=$((failed + project_failed))
  done
fi

# docs/openapi.json is written by the build from the routes: a committed copy that differs is out of date.
if git -C "$REPO_ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1 && ! git -C "$REPO_ROOT" diff --quiet -- docs/openapi.json; then
  log "FAILED: docs/openapi.json is out of date: commit the file the build wrote"; git -C "$REPO_ROOT" diff --stat -- docs/openapi.json >&2; status=1
fi

# The .editorconfig rules are enforced in the build: a project breaking one must not build.
if dotnet build tools/style-probe -c Release -nologo -v:q >"$DATA_DIR/style-probe.log" 2>&1; then
  log "FAILED: a style violation (tools/style-probe) built"; status=1
elif grep -q "IDE0011" "$DATA_DIR/style-probe.log"; then
  log "style guard: the deliberate violation in tools/style-probe fails the build as it must"
else
  log "FAILED: tools/style-probe failed for another reason:"; cat "$DATA_DIR/style-probe.log" >&2; status=1
fi

if [[ $SERVICEBUS_MODE == compat ]]; then
  # README, "The Service Bus extension build mode": a compat build must never be published.
  if dotnet publish src/Permanence.Functions -c Release -p:ServiceBusExtension=compat -o "$DATA_DIR/publish" -nologo -v:q >"$DATA_DIR/publish.log" 2>&1; then
    log "FAILED: publishing a compat build succeeded"; status=1
  elif grep -q "Refusing to publish" "$DATA_DIR/publish.log"; then
    log "compat publish guard: publish refused as it must be"
  else
    log "FAILED: compat publish failed for another reason:"; cat "$DATA_DIR/publish.log" >&2; status=1
  fi
fi

if ls infra/*.bicep >/dev/null 2>&1; then
  log "building and linting infra/"
  bash scripts/infra-check.sh || status=$?
fi

if [[ $status -eq 0 ]]; then log "all tests passed"; else log "FAILED (exit $status)"; fi
echo "$passed passed, $failed failed"
exit $status
