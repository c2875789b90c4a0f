#!/usr/bin/env bash
# Create .venv when it is missing and install speechnas (editable, with the [dev] extra) into it.
# Idempotent: a second run with an unchanged setup.py does nothing and says so.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="${SPEECHNAS_VENV:-$root/.venv}"
python="${PYTHON:-python3}"
stamp="$venv/.speechnas-install-stamp"

want="$(cat setup.py | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$venv/bin/python" -c "import speechnas" 2>/dev/null; then
  echo "install: $venv is up to date (nothing to do)"
  exit 0
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "install: creating $venv with $($python --version 2>&1)"
  "$python" -m venv "$venv"
fi
start=$(date +%s)
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[dev]" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
echo "$want" > "$stamp"
echo "install: done in $(( $(date +%s) - start )) s; $venv holds $(du -sh "$venv" | cut -f1)"
