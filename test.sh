#!/usr/bin/env bash
# Runs the test suite (xunit v3 on Microsoft.Testing.Platform), after installing what it needs (tools/test-setup.sh),
# with nothing skipped: a test whose reference tool is missing fails instead.
#   ./test.sh          everything
#   ./test.sh --fast   everything but the crash, shutdown, Slurm, browser and long property tests, with no set-up (the edit-test loop)
# Other arguments go to the test runner (e.g. --filter-class NExtLong.Tests.CliTests).
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
fast=0
args=()
for a in "$@"; do
  if [[ $a == --fast ]]; then fast=1; else args+=("$a"); fi
done
if (( fast )); then
  args+=(--filter-not-trait "Tier=slow")
else
  bash tools/test-setup.sh
  export NEXTLONG_REQUIRE_BROWSER=1 NEXTLONG_REQUIRE_REFERENCES=1
fi
# The CLI tests run what ./nextlong builds (a native build: a minute or two the first time); built here, before any
# test's clock starts.
./nextlong --which >/dev/null
exec dotnet test --project tests/NExtLong.Tests -c Release "${args[@]}"
