#!/bin/bash
# lab.sh [MTA...]: regenerates the bounce lab (email/testdata/lab) with the
# sending MTAs given (default: every one the lab knows), all at once: each
# runs in namespaces of its own, so they do not meet. Needs root, Linux
# namespaces (unshare), debootstrap and Debian's package mirror; see
# ../README.md. Logs go to $LAB_CACHE/run-MTA/.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${LAB_CACHE:-/var/cache/rebond-lab}
mtas=${*:-postfix exim4 sendmail opensmtpd courier}
command -v debootstrap >/dev/null || apt-get install -y debootstrap
mkdir -p "$cache"
# One base root first, so the parallel runs do not all build it.
"$here/mkroot.sh" "${mtas%% *}"
(cd "$here" && go build -o "$cache/labsmtp" ./labsmtp)
export LAB_BUILT=1
pids=()
for m in $mtas; do
	"$here/run.sh" "$m" >"$cache/run-$m.log" 2>&1 &
	pids+=($!)
done
rc=0
for i in "${!pids[@]}"; do
	if ! wait "${pids[$i]}"; then
		echo "lab: run failed, see $cache/run-$(echo $mtas | cut -d' ' -f$((i + 1))).log" >&2
		rc=1
	fi
done
exit $rc
