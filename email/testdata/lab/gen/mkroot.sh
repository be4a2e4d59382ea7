#!/bin/bash
# mkroot.sh MTA: builds (once) a private Debian root for one sending MTA under
# $LAB_CACHE/root-MTA: a minbase debootstrap of the host's Debian release
# with that MTA's Debian package installed by apt inside it. The MTA packages
# conflict with each other (each provides mail-transport-agent), so each gets
# its own root; nothing is installed on the host. Maintainer scripts run
# normally (users, default config), with policy-rc.d refusing to start daemons.
set -euo pipefail
mta=$1
cache=${LAB_CACHE:-/var/cache/rebond-lab}
suite=${LAB_SUITE:-bookworm}
mirror=${LAB_MIRROR:-http://deb.debian.org/debian}
base=$cache/base-$suite
root=$cache/root-$mta
case $mta in
postfix) pkgs="postfix" ;;
exim4) pkgs="exim4-daemon-light" ;;
sendmail) pkgs="sendmail-bin sendmail-cf m4 make" ;;
opensmtpd) pkgs="opensmtpd" ;;
courier) pkgs="courier-mta" ;;
*) echo "mkroot: unknown MTA $mta" >&2; exit 2 ;;
esac
mkdir -p "$cache"
if [ ! -e "$base/.done" ]; then
	rm -rf "$base"
	debootstrap --variant=minbase --include=ca-certificates,netbase "$suite" "$base" "$mirror"
	touch "$base/.done"
fi
if [ -e "$root/.done" ]; then exit 0; fi
rm -rf "$root"
cp -a "$base" "$root"
rm -f "$root/.done"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
echo mta.sender.example.test >"$root/etc/hostname"
echo mta.sender.example.test >"$root/etc/mailname"
cat >"$root/etc/hosts" <<'H'
127.0.0.1 mta.sender.example.test mta localhost
H
mount --bind /proc "$root/proc"
trap 'umount "$root/proc"' EXIT
echo "debconf debconf/frontend select Noninteractive" | chroot "$root" debconf-set-selections
# postfix asks its mail type through debconf: a plain Internet site.
printf 'postfix postfix/main_mailer_type select Internet Site\npostfix postfix/mailname string mta.sender.example.test\n' | chroot "$root" debconf-set-selections
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $pkgs
chroot "$root" apt-get clean
touch "$root/.done"
