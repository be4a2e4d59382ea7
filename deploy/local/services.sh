#!/usr/bin/env bash
# Checks the services rebond needs on this machine (PostgreSQL, Redis and,
# with --nats, an external NATS with JetStream) and starts — or, on a Debian
# machine without them, installs — what is down. Used by `make run` and
# .ci/run. Commands from docs/SERVICES.md.
set -euo pipefail

want_nats=0
[ "${1:-}" = "--nats" ] && want_nats=1

say() { printf 'services: %s\n' "$*" >&2; }

have() { command -v "$1" >/dev/null 2>&1; }

install_pkgs() {
  if ! have apt-get; then
    say "cannot install $* here (no apt-get); install it and start it on 127.0.0.1"
    return 1
  fi
  say "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

wait_for() { # name, probe command...
  local name=$1; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  say "$name did not come up"
  return 1
}

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG; }
nats_up() { (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; }

if ! have pg_isready; then install_pkgs postgresql postgresql-client; fi
if ! pg_up; then
  say "PostgreSQL is down; starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  wait_for PostgreSQL pg_up
fi
say "PostgreSQL answers on 127.0.0.1:5432"

if ! have redis-cli; then install_pkgs redis-server; fi
if ! redis_up; then
  say "Redis is down; starting it"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis redis_up
fi
say "Redis answers on 127.0.0.1:6379"

if [ "$want_nats" = 1 ]; then
  if ! nats_up; then
    [ -x /usr/sbin/nats-server ] || install_pkgs nats-server
    say "NATS is down; starting it"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
      -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
    wait_for NATS nats_up
  fi
  say "NATS answers on 127.0.0.1:4222"
fi
