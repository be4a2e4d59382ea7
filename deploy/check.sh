#!/usr/bin/env bash
# make deploy-check: validate the deployment files with every tool this
# machine has, and say which ones ran. No Docker daemon or Kubernetes
# cluster is needed; the checks that need one say they were skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

ran=() skipped=()

# 1. Our own checks (deploy/check): compose-go against the compose-spec
#    schema, strict decoding into the Kubernetes API types, BuildKit's
#    Dockerfile parser and linter, and the REBOND_* names against
#    configs/rebond.yaml. Always available: it is Go.
echo "== deploy/check"
(cd deploy/check && go vet ./... && go test -count=1 ./... && go run . -root ../..)
go vet ./deploy/healthcheck
ran+=("deploy/check (and its tests)")

# 2. Compose: the v2 plugin if there is one, else the standalone
#    docker-compose (Debian's package is 1.29: apt-get install docker-compose).
echo "== compose config"
export REBOND_ADMIN_TOKEN=${REBOND_ADMIN_TOKEN:-check}
if docker compose version >/dev/null 2>&1; then
	docker compose -f deploy/compose.yaml config -q
	ran+=("docker compose config")
elif command -v docker-compose >/dev/null; then
	docker-compose -f deploy/compose.yaml config -q
	ran+=("docker-compose $(docker-compose version --short 2>/dev/null) config")
else
	skipped+=("compose config (neither 'docker compose' nor docker-compose)")
fi

# 3. Kubernetes: a client-side dry run needs an API server for discovery
#    even with --validate=false; without a context, kubectl still parses
#    every manifest offline.
echo "== kubectl"
if ! command -v kubectl >/dev/null; then
	skipped+=("kubectl (not installed)")
elif kubectl config current-context >/dev/null 2>&1; then
	kubectl apply --dry-run=client -f deploy/k8s/ </dev/null
	ran+=("kubectl apply --dry-run=client")
else
	n=$(kubectl label --local --dry-run=client -o name -f deploy/k8s/ checked=yes </dev/null | wc -l)
	echo "kubectl read $n objects"
	ran+=("kubectl label --local (offline parse)")
	skipped+=("kubectl apply --dry-run=client (no cluster context)")
fi

# 4. systemd: verify the units in a scratch root holding the system's units
#    and a stand-in /usr/local/bin/rebond; any warning fails the check
#    (verify reports unknown keys but still exits 0).
echo "== systemd-analyze verify"
if command -v systemd-analyze >/dev/null && [ -d /lib/systemd/system ]; then
	root=$(mktemp -d)
	trap 'rm -rf "$root"' EXIT
	mkdir -p "$root/usr/local/bin" "$root/etc/systemd/system" "$root/usr/lib/systemd"
	cp -a /lib/systemd/system "$root/usr/lib/systemd/"
	printf '#!/bin/sh\n' >"$root/usr/local/bin/rebond"
	chmod +x "$root/usr/local/bin/rebond"
	cp deploy/systemd/*.service "$root/etc/systemd/system/"
	out=$(systemd-analyze verify --root="$root" rebond-api.service rebond-worker.service 2>&1) || { echo "$out"; exit 1; }
	if [ -n "$out" ]; then echo "$out"; exit 1; fi
	ran+=("systemd-analyze verify")
else
	skipped+=("systemd-analyze verify (not installed)")
fi

echo
printf 'ran:     %s\n' "${ran[@]}"
[ ${#skipped[@]} -eq 0 ] || printf 'skipped: %s\n' "${skipped[@]}"
