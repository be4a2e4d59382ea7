package bench

import (
	"context"
	"fmt"
	"net/smtp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rebond/rebond/email"
)

// bounceJob is one hard failure the bench delivers as a bounce mail to
// rebond's SMTP listener instead of a failed event.
type bounceJob struct{ messageID, recipient string }

// benchDSN is an RFC 3464 report for job, returning the original's headers
// with rebond's correlation header (X-Rebond-Message-ID) and, with a key,
// its signed header (X-Rebond-Signature), as an MTA would. Without a key
// the bounce is verified only once its send is applied (smtp.trust).
func benchDSN(job bounceJob, domain string, sig email.Signature) string {
	signature := ""
	if v := sig.Sign(job.messageID, job.recipient, ""); v != "" {
		signature = "\n" + email.HeaderSignature + ": " + v
	}
	return strings.ReplaceAll(`From: Mail Delivery System <MAILER-DAEMON@mx.bench.example>
To: bounces@`+domain+`
Subject: Undelivered Mail Returned to Sender
Date: `+time.Now().UTC().Format(time.RFC1123Z)+`
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain

This is the mail system at host mx.bench.example. Your message could not be delivered.

--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.bench.example

Final-Recipient: rfc822; `+job.recipient+`
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <`+job.recipient+`>: Recipient address rejected: User unknown

--b
Content-Type: text/rfc822-headers

From: news@bench.example
To: `+job.recipient+`
Subject: bench
X-Rebond-Message-ID: `+job.messageID+signature+`

--b--
`, "\n", "\r\n")
}

// mailsPerSession is how many mails the bench sends in one SMTP session
// before it opens another: the listener caps a session's commands
// (smtp.max_commands), and MTAs reuse a session only so long.
const mailsPerSession = 100

// sendBounces delivers the jobs over a few SMTP connections (a session per
// connection and mailsPerSession mails, a transaction per mail) and counts
// them in sent.
func sendBounces(ctx context.Context, addr, domain string, sig email.Signature, jobs <-chan bounceJob, conns int, sent *atomic.Int64) error {
	var wg sync.WaitGroup
	errc := make(chan error, conns)
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c *smtp.Client
			defer func() {
				if c != nil {
					_ = c.Quit()
				}
			}()
			n := 0
			for job := range jobs {
				if ctx.Err() != nil {
					return
				}
				if n%mailsPerSession == 0 {
					if c != nil {
						_ = c.Quit()
					}
					var err error
					if c, err = smtp.Dial(addr); err != nil {
						errc <- fmt.Errorf("bench smtp: %w", err)
						return
					}
				}
				n++
				if err := benchSendOne(c, domain, sig, job); err != nil {
					errc <- fmt.Errorf("bench smtp: %w", err)
					return
				}
				sent.Add(1)
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

func benchSendOne(c *smtp.Client, domain string, sig email.Signature, job bounceJob) error {
	if err := c.Mail(""); err != nil { // bounces come from the null sender (RFC 5321 section 4.5.5)
		return err
	}
	if err := c.Rcpt("bounces@" + domain); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(benchDSN(job, domain, sig))); err != nil {
		return err
	}
	return w.Close()
}
