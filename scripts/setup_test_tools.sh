#!/usr/bin/env bash
# Install what the browser tests need: Debian's chromium and the axe-core npm package.
# Playwright's own browser download is not used (no download host here).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing chromium (Debian package)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "warning: chromium is missing and this is not root; browser tests will skip (outside CI)" >&2
  fi
fi
if [ ! -f node_modules/axe-core/axe.min.js ]; then
  if command -v npm >/dev/null 2>&1; then
    npm install --silent --no-audit --no-fund >/dev/null
  else
    echo "warning: npm is missing; accessibility checks will skip (outside CI)" >&2
  fi
fi
