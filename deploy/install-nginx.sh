#!/usr/bin/env bash
# Installs nginx from Debian's packages when it is missing (the deploy tests run the shipped config with
# a real nginx). `npm test` does this itself; this is the same step on its own: scripts/system-deps.mjs.
set -euo pipefail
exec node "$(dirname "$0")/../scripts/system-deps.mjs" nginx
