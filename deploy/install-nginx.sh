#!/usr/bin/env bash
# Installs nginx from Debian's packages when it is missing. The deploy tests run the shipped config
# with a real nginx; CI calls this before the tests. Only the binary is used: the package's own
# service is never started (the tests start nginx themselves, in the foreground, on high ports).
set -euo pipefail
if command -v nginx >/dev/null 2>&1 && [ -f /etc/nginx/mime.types ]; then
  nginx -v
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "nginx is missing: run this script as root (it uses apt-get)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Keep the package from starting its own nginx service on port 80 (Debian's policy-rc.d protocol:
# exit code 101 = action forbidden), unless the machine already has a policy of its own.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends nginx >/dev/null
nginx -v
