#!/usr/bin/env bash
# Builds the builder's console (console/, TypeScript with Vite) from source into
# console/dist, which `weft serve` embeds when it is compiled. The npm
# packages are pinned in console/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/../console"
if ! command -v npm >/dev/null; then
  echo "error: the console needs Node.js 20 and npm (apt-get install -y nodejs npm)" >&2
  exit 1
fi
# npm ci again only when the lock file changed since the last install.
if [ ! -d node_modules ] || ! cmp -s package-lock.json node_modules/.weft-installed-lock 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.weft-installed-lock
fi
npm run --silent build >/dev/null
echo "built the console into console/dist" >&2
