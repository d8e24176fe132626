#!/usr/bin/env bash
# Installs Debian's Chromium for the e2e suite (playwright-core drives /usr/bin/chromium; Playwright's
# own browser download is not possible on these machines). Does nothing when it is already there.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  /usr/bin/chromium --version || true
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
/usr/bin/chromium --version
