# mta.sh: how the lab configures, starts and stops each sending MTA in its
# root ($1). Every MTA: host name mta.sender.example.test, listens only on
# 127.0.0.1:25, relays for 127.0.0.0/8, resolves through the lab's DNS,
# sends a delay warning after $LAB_WARN seconds and gives up after
# $LAB_LIFETIME seconds, retrying often.

# Each *_config starts from an empty queue and retry database, so that no
# mail of an earlier run comes back.
postfix_config() {
	local r=$1
	rm -rf "$r"/var/spool/postfix/{active,bounce,defer,deferred,incoming,maildrop,flush,trace}/*
	chroot "$r" postconf -e \
		myhostname=mta.sender.example.test mydomain=sender.example.test \
		'myorigin=$myhostname' mydestination=localhost \
		inet_interfaces=127.0.0.1 inet_protocols=ipv4 mynetworks=127.0.0.0/8 \
		relayhost= 'smtpd_relay_restrictions=permit_mynetworks,reject' \
		smtpd_tls_security_level=none smtp_tls_security_level=none \
		delay_warning_time=${LAB_WARN}s maximal_queue_lifetime=${LAB_LIFETIME}s \
		bounce_queue_lifetime=${LAB_LIFETIME}s queue_run_delay=15s \
		minimal_backoff_time=15s maximal_backoff_time=30s \
		smtp_connect_timeout=10s compatibility_level=3.6 maillog_file=/var/log/postfix.log
	# Debian's master.cf runs the daemons chrooted in the spool; the lab's
	# root is already private, so they run unchrooted.
	chroot "$r" postconf -F '*/*/chroot=n'
}
postfix_start() { chroot "$1" postfix start; }
postfix_stop() { chroot "$1" postfix stop; sleep 2; cp "$1/var/log/postfix.log" "$run/mta.log" 2>/dev/null || true; }

exim4_config() {
	rm -rf "$1"/var/spool/exim4/{input,msglog,db}/*
	# Debian's exim4 reads /etc/exim4/exim4.conf before its generated
	# configuration when the file exists.
	cat >"$1/etc/exim4/exim4.conf" <<CONF
primary_hostname = mta.sender.example.test
qualify_domain = sender.example.test
local_interfaces = 127.0.0.1
daemon_smtp_ports = 25
disable_ipv6 = true
domainlist local_domains = localhost
hostlist relay_from_hosts = 127.0.0.0/8
acl_smtp_rcpt = acl_check_rcpt
dsn_advertise_hosts = *
delay_warning = ${LAB_WARN}s:1d
log_file_path = /var/log/exim4/%slog
tls_advertise_hosts =
host_lookup = 

begin acl
acl_check_rcpt:
  accept hosts = +relay_from_hosts
  deny message = relay not permitted

begin routers
dnslookup:
  driver = dnslookup
  domains = ! +local_domains
  transport = remote_smtp
  ignore_target_hosts = 0.0.0.0 : 255.255.255.255
  no_more

begin transports
remote_smtp:
  driver = smtp
  hosts_try_chunking =
  hosts_try_prdr =

begin retry
*  *  F,${LAB_LIFETIME}s,15s

begin rewrite
CONF
}
exim4_start() { chroot "$1" /usr/sbin/exim4 -bd -q15s; }
exim4_stop() {
	kill "$(cat "$1/run/exim4/exim.pid")" || true
	cat "$1"/var/log/exim4/*log >"$run/mta.log" 2>/dev/null || true
}

sendmail_config() {
	rm -f "$1"/var/spool/mqueue/* "$1"/var/lib/sendmail/host_status/* 2>/dev/null || true
	cat >"$1/etc/mail/lab.mc" <<MC
include(\`/usr/share/sendmail/cf/m4/cf.m4')dnl
VERSIONID(\`rebond lab')dnl
OSTYPE(\`debian')dnl
define(\`confDOMAIN_NAME', \`mta.sender.example.test')dnl
define(\`confTO_QUEUEWARN', \`${LAB_WARN}s')dnl
define(\`confTO_QUEUERETURN', \`${LAB_LIFETIME}s')dnl
define(\`confTO_IDENT', \`0')dnl
define(\`confMIN_QUEUE_AGE', \`0')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
dnl The shared build machine's load average must not stop queue runs.
define(\`confQUEUE_LA', \`1000')dnl
define(\`confREFUSE_LA', \`1000')dnl
define(\`confDELAY_LA', \`0')dnl
FEATURE(\`promiscuous_relay')dnl
DAEMON_OPTIONS(\`Family=inet, Name=MTA-v4, Port=smtp, Addr=127.0.0.1')dnl
MAILER(\`local')dnl
MAILER(\`smtp')dnl
MC
	# Relaying for any client is safe here: the daemon listens in the
	# lab's private network namespace only.
	chroot "$1" sh -c 'm4 /etc/mail/lab.mc >/etc/mail/sendmail.cf'
	# Debian's init script (not run in the lab) prepares these.
	chroot "$1" sh -c 'mkdir -p /var/lib/sendmail/host_status /run/sendmail/mta &&
		chown root:root /var/spool/mqueue && chmod 0700 /var/spool/mqueue &&
		touch /etc/mail/local-host-names /etc/mail/relay-domains'
}
sendmail_start() { chroot "$1" /usr/sbin/sendmail-mta -bd -q15s; }
sendmail_stop() { :; }

# OpenSMTPD 6.8's resolver (libasr) refuses the lab DNS server's MX
# answers ("No MX found for domain"; glibc's resolver, which the other MTAs
# use, reads them), so OpenSMTPD relays to the lab's receiving servers by
# static routes, and the causes that need DNS are not provoked with it.
opensmtpd_skip=domain-not-found,null-mx
opensmtpd_config() {
	rm -rf "$1"/var/spool/smtpd/{queue,incoming,corrupt,purge,temporary}/* 2>/dev/null || true
	cat >"$1/etc/smtpd.conf" <<CONF
listen on 127.0.0.1 port 25 hostname mta.sender.example.test
queue ttl ${LAB_LIFETIME}s
bounce warn-interval ${LAB_WARN}s
action "lab" relay host smtp://127.0.0.2:25 helo mta.sender.example.test
action "busy" relay host smtp://127.0.0.3:25 helo mta.sender.example.test
action "blocked" relay host smtp://127.0.0.4:25 helo mta.sender.example.test
action "small" relay host smtp://127.0.0.5:25 helo mta.sender.example.test
match from any for domain busy.example.test action "busy"
match from any for domain blocked.example.test action "blocked"
match from any for domain small.example.test action "small"
match from any for domain { lab.example.test, relay.example.test, return.example.test } action "lab"
CONF
	echo mta.sender.example.test >"$1/etc/mailname"
}
opensmtpd_start() { chroot "$1" /usr/sbin/smtpd -f /etc/smtpd.conf; }
opensmtpd_stop() { chroot "$1" /usr/sbin/smtpctl stop || true; }

# Courier 1.0.16 does not read a null MX (RFC 7505): it bounces "No such
# domain" as for a domain that does not exist, so null-mx is not a cause it
# can produce.
courier_skip=null-mx
courier_config() {
	local r=$1 c=$1/etc/courier
	rm -rf "$r"/var/lib/courier/msgs/* "$r"/var/lib/courier/msgq/* 2>/dev/null || true
	echo mta.sender.example.test >"$c/me"
	echo sender.example.test >"$c/defaultdomain"
	echo localhost >"$c/locals"
	echo "${LAB_LIFETIME}s" >"$c/queuetime"
	echo "${LAB_WARN}s" >"$c/warntime"
	echo 15s >"$c/retryalpha"
	echo 100 >"$c/retrybeta"
	echo 15s >"$c/retrygamma"
	echo 1 >"$c/retrymaxdelta"
	sed -i -e 's/^ESMTPDSTART=.*/ESMTPDSTART=YES/' -e 's/^BOFHCHECKDNS=.*/BOFHCHECKDNS=0/' \
		-e 's/^TARPIT=.*/TARPIT=0/' -e '/^ADDRESS=/d' "$c/esmtpd"
	echo "ADDRESS=127.0.0.1" >>"$c/esmtpd"
	chroot "$r" makesmtpaccess
}
courier_start() { chroot "$1" courier start; chroot "$1" esmtpd start; }
courier_stop() { chroot "$1" esmtpd stop || true; chroot "$1" courier stop || true; }
