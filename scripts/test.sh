#!/usr/bin/env bash
# Run the test suite on a fresh machine: set up .venv, then pytest.
# pytest's exit code 5 (no tests collected) is a failure here, like any other non-zero code.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
.venv/bin/python -m pytest "$@"
code=$?
if [ "$code" -eq 5 ]; then
  echo "test: pytest collected no tests; failing" >&2
  exit 1
fi
exit "$code"
