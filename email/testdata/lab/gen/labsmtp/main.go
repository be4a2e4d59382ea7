// Command labsmtp is the receiving side of rebond's bounce lab
// (email/testdata/lab): a DNS server for the lab's zone, SMTP servers that
// provoke each cause by their replies, a submitter of the lab's messages to
// the sending MTA under test, and the sorter that files the bounces the
// sending MTA returned and writes their manifest rows.
//
//	labsmtp serve -out DIR          (inside the lab's network namespace)
//	labsmtp submit -addr 127.0.0.1:25
//	labsmtp sort -in DIR -mta NAME -lab email/testdata/lab -start UNIX -lifetime SECONDS
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	log.SetFlags(log.Ltime)
	if len(os.Args) < 2 {
		log.Fatal("usage: labsmtp serve|submit|sort ...")
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	out := fs.String("out", "", "serve: where the kept mails go")
	addr := fs.String("addr", "127.0.0.1:25", "submit: the sending MTA's SMTP address")
	in := fs.String("in", "", "sort: the kept mails")
	mta := fs.String("mta", "", "sort: the sending MTA's name")
	lab := fs.String("lab", "", "sort: the lab folder (email/testdata/lab)")
	start := fs.Int64("start", 0, "sort: unix time of the submission")
	lifetime := fs.Int64("lifetime", 0, "sort: the MTA's queue lifetime in seconds")
	skip := fs.String("skip", "", "submit: causes not to submit, comma-separated")
	fs.Parse(os.Args[2:])
	switch os.Args[1] {
	case "serve":
		serveDNS("127.0.0.1:53")
		for _, m := range mxs {
			serveSMTP(m, *out)
		}
		log.Printf("serving")
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
	case "submit":
		for _, c := range causes {
			if strings.Contains(","+*skip+",", ","+c.name+",") {
				continue
			}
			if err := submit(*addr, c); err != nil {
				log.Fatalf("submit %s: %v", c.name, err)
			}
		}
	case "sort":
		if err := sortMails(*in, *mta, *lab, *start, *lifetime); err != nil {
			log.Fatal(err)
		}
	default:
		log.Fatalf("unknown command %q", os.Args[1])
	}
}

// submit sends one cause's message to the sending MTA, asking for the
// DSNs of RFC 3461 when the MTA offers them.
func submit(addr string, c cause) error {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Minute))
	r := bufio.NewReader(conn)
	expect := func(cmd, want string) (string, error) {
		if cmd != "" {
			fmt.Fprintf(conn, "%s\r\n", cmd)
		}
		var all string
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return all, err
			}
			all += l
			if len(l) < 4 || l[3] != '-' {
				break
			}
		}
		if !strings.HasPrefix(all, want) {
			return all, fmt.Errorf("%q: %s", cmd, strings.TrimSpace(all))
		}
		return all, nil
	}
	if _, err := expect("", "220"); err != nil {
		return err
	}
	ehlo, err := expect("EHLO client.sender.example.test", "250")
	if err != nil {
		return err
	}
	dsn := regexp.MustCompile(`(?mi)^250[ -]DSN\s*$`).MatchString(ehlo)
	mail := "MAIL FROM:<" + sender + ">"
	if dsn {
		mail += " ENVID=" + c.name
	}
	if _, err := expect(mail, "250"); err != nil {
		return err
	}
	for _, rc := range c.rcpts {
		cmd := "RCPT TO:<" + rc + ">"
		if dsn {
			n := c.notify
			if n == "" {
				n = "FAILURE,DELAY"
			}
			cmd += " NOTIFY=" + n + " ORCPT=rfc822;" + rc
		}
		if _, err := expect(cmd, "250"); err != nil {
			return err
		}
	}
	if _, err := expect("DATA", "354"); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: Lab Sender <%s>\r\nTo: %s\r\nSubject: rebond lab: %s\r\n", sender, strings.Join(c.rcpts, ", "), c.name)
	fmt.Fprintf(&b, "Date: %s\r\nMessage-ID: <%s.%d@sender.example.test>\r\nX-Lab-Cause: %s\r\n", time.Now().UTC().Format(time.RFC1123Z), c.name, time.Now().Unix(), c.name)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n")
	b.WriteString("This message was sent by rebond's bounce lab to provoke the cause named in its Subject.\r\n")
	if c.big {
		for i := 0; i < 40; i++ {
			b.WriteString("This line makes the message larger than the receiving server's SIZE limit.\r\n")
		}
	}
	b.WriteString(".\r\n")
	conn.Write([]byte(b.String()))
	if _, err := expect("", "250"); err != nil {
		return err
	}
	_, err = expect("QUIT", "221")
	return err
}

// generic matches a status that says only its class (RFC 3463 §3.1: X.0.0).
var generic = regexp.MustCompile(`^[245]\.0\.0$`)

var causeHeader = regexp.MustCompile(`(?m)^X-Lab-Cause: (\S+)`)

// sortMails files the kept mails of one run under lab/<mta>/ and rewrites
// that MTA's rows of lab/manifest.tsv. A deferred cause's mails that came
// before the queue lifetime ran out are delay notices (<cause>-delay.eml);
// this is known by construction, from the time the MTA sent them.
// Statuses and reply codes the lab's replies do not fix (those the MTA
// writes itself: DNS failures, null MX, expiry) come from the DSN fields
// of the MTA's own bounce.
func sortMails(in, mta, lab string, start, lifetime int64) error {
	files, err := filepath.Glob(filepath.Join(in, "*.eml"))
	if err != nil {
		return err
	}
	sort.Strings(files)
	byName := map[string]cause{}
	for _, c := range causes {
		byName[c.name] = c
	}
	dest := filepath.Join(lab, mta)
	os.RemoveAll(dest)
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	type kept struct {
		raw []byte
		c   cause
		at  int64
	}
	var mails []kept
	late := map[string]bool{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		m := causeHeader.FindSubmatch(raw)
		if m == nil {
			log.Printf("%s: no X-Lab-Cause, skipped", f)
			continue
		}
		c, ok := byName[string(m[1])]
		if !ok {
			log.Printf("%s: unknown cause %s, skipped", f, m[1])
			continue
		}
		at, _ := strconv.ParseInt(strings.SplitN(filepath.Base(f), "-", 2)[0], 10, 64)
		mails = append(mails, kept{raw, c, at})
		late[c.name] = late[c.name] || at >= start+lifetime
	}
	var rows []string
	count := map[string]int{}
	for _, k := range mails {
		raw, c := k.raw, k.c
		// A mail sent before the queue lifetime ran out is a delay notice
		// when its cause defers by design, or when the MTA, deferring it
		// (Postfix skips a server that greets with 5xx), sent a final
		// bounce for the same message later.
		delay := k.at < start+lifetime && (c.deferred || late[c.name])
		stem := c.name
		if delay {
			stem += "-delay"
		}
		count[stem]++
		if count[stem] > 1 {
			stem += "-" + strconv.Itoa(count[stem])
		}
		rel := filepath.Join(mta, stem+".eml")
		if err := os.WriteFile(filepath.Join(lab, rel), raw, 0o644); err != nil {
			return err
		}
		for i, rc := range inBounceOrder(string(raw), c.rcpts) {
			j := indexOf(c.rcpts, rc)
			reason, hard := c.reason[j], hardOf(c.reason[j])
			st, code := c.status[j], c.code[j]
			// Exim cuts long delay reasons short, so the reply's code and
			// enhanced status ("452 4.2.2") count as a quote too.
			flat := oneLine(string(raw))
			quoted := c.quote != "" && (strings.Contains(flat, c.quote) || strings.Contains(flat, c.code[j]+" "+c.quoteStatus))
			if (delay || late[c.name]) && c.quote != "" && !quoted {
				reason, hard, code = "expired", "0", ""
			}
			if delay {
				hard = "-"
			}
			if st == "" {
				st = dsnStatus(string(raw), rc)
				if quoted && (st == "-" || generic.MatchString(st)) {
					st = c.quoteStatus
				}
			}
			if code == "" {
				code = replyCode(dsnField(string(raw), rc, "Diagnostic-Code"))
			}
			rows = append(rows, strings.Join([]string{rel, strconv.Itoa(i + 1), mta, reason, hard, st, code, "-", rc}, "\t"))
		}
	}
	return writeManifest(filepath.Join(lab, "manifest.tsv"), mta, rows)
}

// oneLine collapses every run of white space to one space, so that a
// quoted reply the MTA wrapped over lines still matches.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// inBounceOrder orders the recipients as the bounce lists them: by their
// Final-Recipient field, else by their first mention.
func inBounceOrder(raw string, rcpts []string) []string {
	low := strings.ToLower(raw)
	pos := func(rc string) int {
		if i := regexp.MustCompile(`(?i)final-recipient:\s*rfc822;\s*<?` + regexp.QuoteMeta(rc)).FindStringIndex(raw); i != nil {
			return i[0]
		}
		return strings.Index(low, strings.ToLower(rc))
	}
	out := append([]string(nil), rcpts...)
	sort.SliceStable(out, func(a, b int) bool { return pos(out[a]) < pos(out[b]) })
	return out
}

// dsnField returns a field of the per-recipient block of the DSN (RFC 3464
// §2.3) whose Final-Recipient is rc, or "-".
func dsnField(raw, rc, field string) string {
	for _, block := range regexp.MustCompile(`\n\s*\n`).Split(strings.ReplaceAll(raw, "\r\n", "\n"), -1) {
		if !regexp.MustCompile(`(?i)final-recipient:\s*rfc822;\s*<?` + regexp.QuoteMeta(rc)).MatchString(block) {
			continue
		}
		// Unfold continuation lines (RFC 5322 §2.2.3).
		block = regexp.MustCompile(`\n[ \t]+`).ReplaceAllString(block, " ")
		if m := regexp.MustCompile(`(?im)^` + field + `:\s*(.+)$`).FindStringSubmatch(block); m != nil {
			return strings.TrimSpace(m[1])
		}
	}
	return "-"
}

// dsnStatus is the Status field of rc's DSN block, or, when that status
// is generic (X.0.0, as Exim writes for every failure), the enhanced code
// of the remote reply its Diagnostic-Code quotes, if any.
func dsnStatus(raw, rc string) string {
	st := dsnField(raw, rc, "Status")
	if generic.MatchString(st) {
		diag := dsnField(raw, rc, "Diagnostic-Code")
		if m := regexp.MustCompile(`(?i)^smtp;\s*[245]\d\d[ -]([245]\.\d{1,3}\.\d{1,3})\b`).FindStringSubmatch(diag); m != nil {
			return m[1]
		}
	}
	return st
}

// replyCode is the SMTP reply code of a Diagnostic-Code of type smtp, or "-".
func replyCode(diag string) string {
	if m := regexp.MustCompile(`(?i)^smtp;\s*([245]\d\d)\b`).FindStringSubmatch(diag); m != nil {
		return m[1]
	}
	return "-"
}

// writeManifest replaces mta's rows of the manifest, keeping the others,
// sorted by path and index.
func writeManifest(path, mta string, rows []string) error {
	header := "path\tindex\tmta_module\texpected_reason\texpected_hard\texpected_status\texpected_replycode\texpected_feedbacktype\trecipient"
	if old, err := os.ReadFile(path); err == nil {
		for _, l := range strings.Split(strings.TrimSpace(string(old)), "\n")[1:] {
			if c := strings.Split(l, "\t"); len(c) > 2 && c[2] != mta {
				rows = append(rows, l)
			}
		}
	}
	sort.Strings(rows)
	return os.WriteFile(path, []byte(header+"\n"+strings.Join(rows, "\n")+"\n"), 0o644)
}
