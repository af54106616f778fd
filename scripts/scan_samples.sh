#!/usr/bin/env bash
# The main job on a fresh machine: set up .venv, then scan samples/ into scan-out/.
# Extra arguments are passed to `vision scan` (for example --jobs 2).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/vision scan samples --out scan-out "$@"
echo "scan: results in scan-out/results.jsonl, scan-out/summary.csv, overlays in scan-out/overlays/"
