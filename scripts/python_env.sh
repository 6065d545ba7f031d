#!/usr/bin/env bash
# Creates .venv/ with the Python packages the interop tests use (TensorBoard's event-file
# loader reads the summary writer's files). Idempotent: a complete environment is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
REQUIREMENTS="tensorboard==2.21.0"
STAMP=.venv/.requirements
if [ -x .venv/bin/python ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$REQUIREMENTS" ]; then
    exit 0
fi
rm -rf .venv
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check $REQUIREMENTS
echo "$REQUIREMENTS" > "$STAMP"
