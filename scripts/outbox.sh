#!/usr/bin/env bash
# Reads the 'outbox' container of the local system (scripts/run.sh): the emails and SMS routing wrote while no
# SendGrid or Twilio account is configured. Arguments go to `permanence outbox` (--last N prints the last N).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
require dotnet ".NET SDK 10"
dotnet build src/Permanence.Cli -c Release -nologo -v:q >&2
exec dotnet src/Permanence.Cli/bin/Release/net10.0/permanence.dll outbox "$@"
