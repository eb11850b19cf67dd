#!/usr/bin/env bash
# The one command that runs the system locally: Azurite (data under .azurite/) + Permanence.Standalone on
# http://127.0.0.1:7071, with the demo client seeded. Ctrl-C stops everything it started.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

ensure_prerequisites
ensure_azurite
detect_servicebus_mode # said for information: the standalone host does not use the Functions project

PORT="${PERMANENCE_PORT:-7071}"
BASE_URL="http://127.0.0.1:$PORT"
ADMIN_KEY="dev-admin-key-0000000000000000"
AZURITE_PID=""; APP_PID=""
cleanup() {
  log "stopping"
  stop_pid "$APP_PID"
  stop_pid "$AZURITE_PID"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for port in 10000 10001 10002 "$PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    log "port $port is already in use: stop what listens there (another Azurite or Permanence?) and retry"; exit 1
  fi
done

start_azurite "$REPO_ROOT/.azurite" 10000 10001 10002

log "building Permanence.Standalone"
dotnet build src/Permanence.Standalone -c Release -nologo -v:q >&2
ASPNETCORE_ENVIRONMENT=Development \
Permanence__Storage__ConnectionString="$(connection_string 10000 10001 10002)" \
Permanence__PublicBaseUrl="$BASE_URL" \
  dotnet run --project src/Permanence.Standalone -c Release --no-build --no-launch-profile --urls "$BASE_URL" &
APP_PID=$!

node - "$BASE_URL" "$ADMIN_KEY" "$REPO_ROOT/samples/althea.json" <<'JS'
const [base, key, file] = process.argv.slice(2);
const fs = require('fs');
(async () => {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try { if ((await fetch(`${base}/api/health`)).ok) break; } catch {}
    if (Date.now() > deadline) { console.error('[permanence] the standalone host did not become healthy within 120 s'); process.exit(1); }
    await new Promise(r => setTimeout(r, 500));
  }
  const res = await fetch(`${base}/api/clients/althea`, {
    method: 'PUT', body: fs.readFileSync(file),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
  });
  if (!res.ok) { console.error(`[permanence] seeding the demo client failed: ${res.status} ${await res.text()}`); process.exit(1); }
  console.error(`[permanence] demo client 'althea' seeded: ${await res.text()}`);
})();
JS

cat >&2 <<INFO

  Permanence is running on $BASE_URL (routes under /api)
    health      GET  $BASE_URL/api/health
    demo client GET  $BASE_URL/api/clients/althea   (number +33186950000, Europe/Paris)

  Dev API keys (Authorization: Bearer <key>)
    admin     dev-admin-key-0000000000000000
    operator  dev-operator-key-00000000000000
    auditor   dev-auditor-key-000000000000000
  Aircall webhook token: dev-aircall-token

  Messages are routed through the Storage queue 'routing'. Without SendGrid/Twilio credentials, emails and
  SMS are written to the 'outbox' container: scripts/outbox.sh lists them (--last N prints the last N).
  Raw webhook bodies are archived in the 'raw' container. Storage data is kept under .azurite/.
  Ctrl-C stops Azurite and the host.

INFO
wait "$APP_PID"
