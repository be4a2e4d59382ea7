#!/bin/bash
# run.sh MTA: one lab run for one sending MTA. Builds its root (mkroot.sh),
# then, in a private network and mount namespace (its own loopback, so port
# 25 and 53 clash with nothing on the host), starts labsmtp (the lab's DNS
# and receiving SMTP servers), configures and starts the MTA in its root,
# submits the lab's messages to it, waits until its queue lifetime has run
# out and every bounce has come back, and files the bounces under
# email/testdata/lab/MTA/ with their manifest rows.
set -euo pipefail
mta=$1
here=$(cd "$(dirname "$0")" && pwd)
lab=$(dirname "$here")
cache=${LAB_CACHE:-/var/cache/rebond-lab}
root=$cache/root-$mta
run=$cache/run-$mta
# Queue lifetime and delay-warning time of every MTA, in seconds (see mta.sh).
export LAB_LIFETIME=${LAB_LIFETIME:-240} LAB_WARN=${LAB_WARN:-60}

if [ "${LAB_INNER:-}" != 1 ]; then
	"$here/mkroot.sh" "$mta"
	[ -n "${LAB_BUILT:-}" ] || (cd "$here" && go build -o "$cache/labsmtp" ./labsmtp)
	rm -rf "$run"
	mkdir -p "$run/out"
	LAB_INNER=1 unshare --mount --net --uts --fork "$0" "$mta"
	flock "$cache/sort.lock" "$cache/labsmtp" sort -in "$run/out" -mta "$mta" -lab "$lab" -start "$(cat "$run/start")" -lifetime "$LAB_LIFETIME"
	echo "lab: $mta: $(ls "$lab/$mta" | wc -l) mails in $lab/$mta"
	exit 0
fi

# Inside the namespaces from here on. Whatever happens, end what this run
# started: labsmtp, and every process whose root is the MTA's root.
cleanup() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && kill "${p#/proc/}" 2>/dev/null
	done
	[ -n "${labpid:-}" ] && kill "$labpid" 2>/dev/null
	return 0
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ip link set lo up
hostname mta.sender.example.test
mount --make-rprivate /
echo "nameserver 127.0.0.1" >"$run/resolv.conf"
mount --bind "$run/resolv.conf" "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
"$cache/labsmtp" serve -out "$run/out" >"$run/labsmtp.log" 2>&1 &
labpid=$!
sleep 1
. "$here/mta.sh"
"${mta}_config" "$root"
"${mta}_start" "$root"
for i in $(seq 60); do
	if (exec 3<>/dev/tcp/127.0.0.1/25) 2>/dev/null; then break; fi
	sleep 1
done
date +%s >"$run/start"
skip=${mta}_skip
"$cache/labsmtp" submit -addr 127.0.0.1:25 -skip "${!skip:-}"
# Wait for the queue lifetime, then until no mail came for a minute.
deadline=$(($(cat "$run/start") + LAB_LIFETIME + 60))
while [ "$(date +%s)" -lt "$deadline" ]; do sleep 10; done
last=-1
for i in $(seq 30); do
	n=$(ls "$run/out" | wc -l)
	[ "$n" = "$last" ] && break
	last=$n
	sleep 60
done
"${mta}_stop" "$root" || true
