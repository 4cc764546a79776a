#!/usr/bin/env bash
# Installs the tslab TypeScript kernel into a prefix inside the repo (no global
# Jupyter state), for Debian's Jupyter (/usr/bin/python3). The notebook tests set
# JUPYTER_PATH to this prefix.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="$root/node_modules/.jupyter"
tslab="$root/examples/node_modules/.bin/tslab"
[ -x "$tslab" ] || { echo "tslab is not installed: run pnpm install" >&2; exit 1; }
"$tslab" install --python=/usr/bin/python3 --binary="$tslab" --prefix="$prefix" >/dev/null 2>&1
echo "$prefix/share/jupyter"
