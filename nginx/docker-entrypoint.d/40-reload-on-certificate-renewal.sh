#!/bin/sh
# certbot renews the certificate in its own container and cannot signal this one, while nginx reads
# certificates only when it (re)loads its config. So: check the certificate once an hour and reload
# when it changed. A reload is graceful: old workers finish their connections on the old config.
# Run by the nginx image's /docker-entrypoint.sh before nginx starts; the loop stays in the
# background for the container's lifetime.
set -eu

certificate="/etc/letsencrypt/live/${TOLLGATE_DOMAIN:?}/fullchain.pem"

fingerprint() {
  cksum "$certificate" 2>/dev/null || echo missing
}

(
  last=$(fingerprint)
  while :; do
    sleep 3600
    now=$(fingerprint)
    if [ "$now" != "$last" ] && nginx -t -q; then
      nginx -s reload && last=$now
    fi
  done
) &

echo "$0: reloading nginx hourly if $certificate changes"
