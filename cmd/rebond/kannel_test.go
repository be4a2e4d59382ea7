//go:build kannel

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/internal/testsvc"
)

// The Kannel end-to-end test runs with `make test-kannel` (go test -tags
// kannel), which installs Debian's kannel and the npm smpp package first:
// it starts three programs rebond did not write and takes a few seconds.

// kannelCase is one message of the test: the text tells the SMSC
// (testdata/kannel/smsc.js) what to answer.
type kannelCase struct {
	number, text string
	want         string // the message's final status
}

// TestKannelEndToEnd sends SMS the way a sender using Kannel does: it
// posts its own "sent" event (its message id, its campaign), then calls
// Kannel's sendsms with the README's dlr-url carrying that id. Kannel
// submits to an SMSC built on the npm smpp package, which answers each
// submit as its text says, and calls rebond's dlr-url for the SMSC's
// acceptance (type 8), the handset receipt (1, 2) or the refusal (16).
// Every callback must join the sender's message: rates per campaign
// exact, nothing in any other campaign, and nothing left pending to
// expire falsely when the validity period runs out.
func TestKannelEndToEnd(t *testing.T) {
	bins := needKannel(t)
	smscPort := startNodeSMSC(t, filepath.Join("testdata", "kannel"))

	cfg := testConfig(t, 1, nil)
	const token = "kannel-e2e-shared-token-0123"
	cfg.Webhooks = map[string]map[string]any{"kannel": {"provider": "kannel", "token": token, "dialect": "map"}}
	const validity = 20 * time.Second
	sms := cfg.Policy.Channels[channels.SMS]
	sms.Validity = validity
	cfg.Policy.Channels[channels.SMS] = sms
	in := start(t, cfg)
	sendsms := startKannel(t, bins, smscPort)

	cases := []kannelCase{
		{"447700900101", "DELIVRD 000", "delivered"},
		{"447700900102", "DELIVRD 000", "delivered"},
		{"447700900103", "UNDELIV 001", "hard"}, // MAP unknownSubscriber
		{"447700900104", "UNDELIV 005", "soft"}, // MAP unidentifiedSubscriber
		{"447700900105", "UNDELIV 011", "hard"}, // MAP teleserviceNotProvisioned
		{"447700900106", "UNDELIV 027", "soft"}, // MAP absentSubscriber
		{"447700900107", "EXPIRED 000", "soft"},
		{"447700900108", "REFUSE", "hard"}, // submit_sm_resp 0x0B ESME_RINVDSTADR
	}
	const campaign = "kannel-e2e"
	start := time.Now()
	for i, c := range cases {
		ref := fmt.Sprintf("shop-%d", i+1)
		sent := map[string]any{"channel": "sms", "type": "sent", "message_id": ref, "recipient": "+" + c.number,
			"campaign": campaign, "occurred_at": time.Now().UTC().Format(time.RFC3339Nano), "provider": "kannel"}
		if code := in.do("POST", "/v1/events", sent, nil); code != 202 {
			t.Fatalf("sent %s: %d", ref, code)
		}
		dlr := in.base + "/v1/webhooks/kannel?token=" + token + "&ref=" + ref + "&campaign=" + campaign +
			"&type=%d&fid=%F&answer=%A&from=%p&ts=%t&meta=%D"
		q := url.Values{"username": {"rebond"}, "password": {"rebond-e2e"}, "from": {"REBOND"}, "to": {c.number},
			"text": {c.text}, "dlr-mask": {"27"}, "dlr-url": {dlr}}
		resp, err := http.Get(sendsms + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 202 {
			t.Fatalf("sendsms %s: %d %s", ref, resp.StatusCode, body)
		}
	}

	want := "sent=8 delivered=2 soft=3 hard=3"
	got := waitRates(t, in, campaign, want, time.Minute)
	if got != want {
		t.Fatalf("rates of %s: %s, want %s", campaign, got, want)
	}
	// Past the validity period, with the scheduler releasing and expiring
	// every second: no message may be left pending to expire.
	time.Sleep(time.Until(start.Add(validity + 3*time.Second)))
	applied, _ := in.count()
	if got := rateLine(t, in, campaign); got != want {
		t.Errorf("rates of %s after the validity period: %s, want %s", campaign, got, want)
	}
	var all ratesResponse
	in.do("GET", "/v1/rates?channel=sms&group_by=campaign", nil, &all)
	if len(all.Rows) != 1 || all.Rows[0].Campaign != campaign {
		t.Errorf("rates by campaign %+v, want the one campaign %s", all.Rows, campaign)
	}
	var byReason struct {
		Rows []struct {
			Reason    string `json:"reason"`
			Delivered int64  `json:"delivered"`
			Soft      int64  `json:"soft"`
			Hard      int64  `json:"hard"`
			Pending   int64  `json:"pending"`
		} `json:"rows"`
	}
	in.do("GET", "/v1/rates?channel=sms&campaign="+campaign+"&group_by=reason", nil, &byReason)
	reasons := map[string]int64{}
	for _, r := range byReason.Rows {
		reasons[r.Reason] = r.Delivered + r.Soft + r.Hard + r.Pending
	}
	wantReasons := map[string]int64{"delivered": 2, "unknown_subscriber": 1, "unidentified_subscriber": 1,
		"sms_not_provisioned": 1, "absent_subscriber": 1, "expired": 1, "invalid_number": 1}
	if diff := cmp.Diff(wantReasons, reasons); diff != "" {
		t.Errorf("messages by reason (-want +got), none pending and one expired (the EXPIRED receipt, not silence):\n%s", diff)
	}
	time.Sleep(2 * time.Second)
	if after, _ := in.count(); after != applied {
		t.Errorf("%d events applied after the validity period, %d before: the scheduler expired a message", after, applied)
	}
}

// waitRates polls the campaign's rates until they read want or within passes.
func waitRates(t *testing.T, in *instance, campaign, want string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	got := ""
	for time.Now().Before(deadline) {
		if got = rateLine(t, in, campaign); got == want {
			return got
		}
		time.Sleep(200 * time.Millisecond)
	}
	return got
}

// rateLine is the campaign's SMS rates in one line.
func rateLine(t *testing.T, in *instance, campaign string) string {
	t.Helper()
	var rates ratesResponse
	in.do("GET", "/v1/rates?channel=sms&campaign="+campaign, nil, &rates)
	if len(rates.Rows) != 1 {
		return fmt.Sprintf("%d rows", len(rates.Rows))
	}
	r := rates.Rows[0]
	return fmt.Sprintf("sent=%d delivered=%d soft=%d hard=%d", r.Sent, r.Delivered, r.Soft, r.Hard)
}

// needKannel returns the directory of bearerbox and smsbox (Debian's
// kannel package); outside CI the test is skipped without them.
func needKannel(t *testing.T) string {
	t.Helper()
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/usr/bin"} {
		if _, err := os.Stat(filepath.Join(dir, "bearerbox")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "smsbox")); err == nil {
				return dir
			}
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Kannel's bearerbox and smsbox not found; CI installs them (make test-kannel: apt-get install kannel)")
	}
	t.Skip("Kannel not found; apt-get install kannel (make test-kannel does)")
	return ""
}

// startNodeSMSC runs testdata/kannel/smsc.js until the test ends and
// returns its port; its lines go to the test log.
func startNodeSMSC(t *testing.T, dir string) int {
	t.Helper()
	lines := testsvc.NodeScript(t, dir, "smsc.js", "smpp")
	port := make(chan int, 1)
	go func() {
		for line := range lines {
			var step struct {
				Step string `json:"step"`
				Port int    `json:"port"`
			}
			if json.Unmarshal(line, &step) == nil && step.Step == "listening" {
				port <- step.Port
			}
			t.Log("smsc: " + string(line))
		}
	}()
	select {
	case p := <-port:
		return p
	case <-time.After(30 * time.Second):
		t.Fatal("the node SMSC did not listen within 30s")
		return 0
	}
}

// kannelConf is the test's Kannel configuration: loopback ports only, the
// SMSC bound in transceiver mode, DLRs kept in memory, and the dlr-url
// retried (http-request-retry) as the README advises.
const kannelConf = `group = core
admin-port = %[1]d
admin-interface = 127.0.0.1
admin-password = rebond-e2e
admin-allow-ip = 127.0.0.1
smsbox-port = %[2]d
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
dlr-storage = internal
log-file = "%[5]s/bearerbox.log"
log-level = 0

group = smsc
smsc = smpp
smsc-id = nodesmsc
host = 127.0.0.1
port = %[3]d
transceiver-mode = true
smsc-username = kannel
smsc-password = secret
system-type = ""
reconnect-delay = 1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = %[2]d
sendsms-port = %[4]d
sendsms-interface = 127.0.0.1
http-request-retry = 3
http-queue-delay = 1
log-file = "%[5]s/smsbox.log"
log-level = 0

group = sendsms-user
username = rebond
password = rebond-e2e
`

// startKannel writes a configuration in a temporary directory, starts
// bearerbox and smsbox on free loopback ports until the test ends, and
// returns the sendsms URL once smsbox answers.
func startKannel(t *testing.T, bins string, smscPort int) string {
	t.Helper()
	dir := t.TempDir()
	admin, box, send := freePort(t), freePort(t), freePort(t)
	conf := filepath.Join(dir, "kannel.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(kannelConf, admin, box, smscPort, send, dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(name string) {
		cmd := exec.Command(filepath.Join(bins, name), conf)
		cmd.Dir = dir
		if err := cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			if t.Failed() {
				if b, err := os.ReadFile(filepath.Join(dir, name+".log")); err == nil {
					t.Logf("%s.log (last 4 KiB):\n%s", name, lastBytes(b, 4<<10))
				}
			}
		})
	}
	run("bearerbox")
	waitListening(t, fmt.Sprintf("127.0.0.1:%d", box))
	run("smsbox")
	base := fmt.Sprintf("http://127.0.0.1:%d/cgi-bin/sendsms", send)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base); err == nil {
			resp.Body.Close()
			return base
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("smsbox's sendsms did not answer within 30s")
	return ""
}

// freePort returns a free loopback port.
func freePort(t *testing.T) int {
	t.Helper()
	_, p, _ := net.SplitHostPort(freeAddr(t))
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// waitListening waits until addr accepts connections.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s within 30s", addr)
}

// lastBytes is the last n bytes of b.
func lastBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
