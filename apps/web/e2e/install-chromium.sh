#!/usr/bin/env bash
# Installs Debian's Chromium for the e2e suite (playwright-core drives /usr/bin/chromium; Playwright's
# own browser download is not possible on these machines). `npm run test:e2e` does this itself; this is
# the same step on its own: scripts/system-deps.mjs.
set -euo pipefail
exec node "$(dirname "$0")/../../../scripts/system-deps.mjs" chromium
