#!/usr/bin/env bash
# Runs the whole test suite (xunit v3 on Microsoft.Testing.Platform). Extra arguments go to the test runner.
set -euo pipefail
cd "$(dirname "$0")"
exec dotnet test --project tests/NExtLong.Tests -c Release "$@"
