#!/usr/bin/env bash
# What `make run` does once bin/rebond is built and PostgreSQL and Redis
# answer: the local secrets in DATA_DIR, bounce intake on a local domain,
# the migrations, then `rebond serve` in the foreground.
#
#   deploy/local/run.sh [CONFIG=file.yaml] [DATA_DIR=./data] [BIN=./bin/rebond]
#
# takes the variables `make run` takes. Environment variables win over a
# CONFIG file in rebond, so each local setting below is left alone when its
# variable is set, even to the empty string (which rebond ignores: the
# CONFIG file's value, or the default, then applies):
#
#   REBOND_ADMIN_TOKEN         DATA_DIR/admin-token, generated once
#   REBOND_SMTP_DOMAINS        bounces.localhost
#   REBOND_EMAIL_VERP_DOMAIN   bounces.localhost
#   REBOND_EMAIL_VERP_SECRET   DATA_DIR/verp-secret, generated once
#
# bounces.localhost is a .localhost name (RFC 6761 section 6.3): it never
# resolves to another machine, so a local rebond cannot be mistaken for a
# real MX. The listener is smtp.addr (127.0.0.1:2525 by default); the
# production defaults (configs/rebond.yaml) leave it off.
set -euo pipefail
config=${REBOND_CONFIG:-} data=./data bin=./bin/rebond
for arg in "$@"; do
  case $arg in
    CONFIG=*) config=${arg#CONFIG=} ;;
    DATA_DIR=*) data=${arg#DATA_DIR=} ;;
    BIN=*) bin=${arg#BIN=} ;;
    *) echo "run.sh: unknown argument $arg (CONFIG=, DATA_DIR=, BIN=)" >&2; exit 2 ;;
  esac
done
here=$(dirname "$0")
umask 077
mkdir -p "$data"
if [ -z "${REBOND_ADMIN_TOKEN+set}" ]; then
  bash "$here/secret.sh" "$data" admin-token
  REBOND_ADMIN_TOKEN=$(cat "$data/admin-token")
  echo "rebond: admin token (Authorization: Bearer ...) is in $data/admin-token"
fi
if [ -z "${REBOND_EMAIL_VERP_SECRET+set}" ]; then
  bash "$here/secret.sh" "$data" verp-secret
  REBOND_EMAIL_VERP_SECRET=$(cat "$data/verp-secret")
fi
export REBOND_ADMIN_TOKEN REBOND_EMAIL_VERP_SECRET
export REBOND_SMTP_DOMAINS=${REBOND_SMTP_DOMAINS-bounces.localhost}
export REBOND_EMAIL_VERP_DOMAIN=${REBOND_EMAIL_VERP_DOMAIN-bounces.localhost}
export REBOND_CONFIG=$config REBOND_DATA_DIR=$data
if [ -n "$REBOND_SMTP_DOMAINS" ]; then
  echo "rebond: bounces for $REBOND_SMTP_DOMAINS over SMTP at ${REBOND_SMTP_ADDR:-127.0.0.1:2525}; VERP key in $data/verp-secret"
fi
"$bin" migrate --create-database
exec "$bin" serve
