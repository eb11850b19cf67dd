#!/usr/bin/env bash
# Builds and lints every Bicep file under infra/ with the Bicep CLI from NuGet (Azure.Bicep.CommandLine.linux-x64).
# Any warning or error fails.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

BICEP_VERSION="0.49.2"
dotnet restore tools/bicep/BicepCli.csproj -nologo -v:q >&2
PACKAGES="$(dotnet nuget locals global-packages --list | sed -e 's/^global-packages: //')"
BICEP="${PACKAGES%/}/azure.bicep.commandline.linux-x64/$BICEP_VERSION/tools/bicep"
chmod +x "$BICEP"
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT="${DOTNET_SYSTEM_GLOBALIZATION_INVARIANT:-}"

out_dir="$(mktemp -d)"
trap 'rm -rf "$out_dir"' EXIT
status=0
checked=0
while IFS= read -r file; do
  checked=$((checked + 1))
  for action in build lint; do
    if [[ $action == build ]]; then
      output="$("$BICEP" build "$file" --outdir "$out_dir" 2>&1)" && rc=0 || rc=$?
    else
      output="$("$BICEP" lint "$file" 2>&1)" && rc=0 || rc=$?
    fi
    if [[ $rc -ne 0 ]] || grep -qiE "warning|error" <<<"$output"; then
      log "bicep $action $file failed:"; printf '%s\n' "$output" >&2
      status=1
    fi
  done
done < <(find infra -name '*.bicep' | sort)
log "bicep build + lint: $checked files, $( [[ $status -eq 0 ]] && echo 'no warnings' || echo 'FAILED')"
exit $status
