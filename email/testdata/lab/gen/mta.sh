# mta.sh: how the lab configures, starts and stops each sending MTA in its
# root ($1). Every MTA: host name mta.sender.example.test, listens only on
# 127.0.0.1:25, relays for 127.0.0.0/8, resolves through the lab's DNS,
# sends a delay warning after $LAB_WARN seconds and gives up after
# $LAB_LIFETIME seconds, retrying often.

postfix_config() {
	local r=$1
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
postfix_stop() { chroot "$1" postfix stop; cp "$1/var/log/postfix.log" "$run/mta.log" 2>/dev/null || true; }

exim4_config() {
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
delay_warning = ${LAB_WARN}s
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
sendmail_stop() {
	kill "$(head -1 "$1/run/sendmail/mta/sendmail.pid" 2>/dev/null || head -1 "$1/var/run/sendmail/mta/sendmail.pid")" || true
}
