package smpp

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/internal/testsvc"
)

// nodeStep is one line the node SMSC prints (testdata/interop/server.js).
type nodeStep struct {
	Session      int    `json:"session"`
	Step         string `json:"step"`
	Name         string `json:"name"`
	Command      string `json:"command"`
	Seq          uint32 `json:"seq"`
	Status       uint32 `json:"status"`
	Port         int    `json:"port"`
	EnquireLinks int    `json:"enquire_links"`
	Error        string `json:"error"`
}

// TestInteropNodeSMSC binds rebond's ESME to an SMSC rebond did not write:
// the npm package smpp (pinned in testdata/interop/package.json), running
// the scenario of testdata/interop/server.js. Every receipt must be
// published exactly once, the malformed PDUs refused with the right
// generic_nack on a bind that survives them, and the cut connection bound
// again.
func TestInteropNodeSMSC(t *testing.T) {
	t.Parallel()
	lines := testsvc.NodeScript(t, filepath.Join("testdata", "interop"), "server.js", "smpp")
	steps := make(chan nodeStep, 64)
	go func() {
		defer close(steps)
		for line := range lines {
			var s nodeStep
			if err := json.Unmarshal(line, &s); err != nil {
				s = nodeStep{Step: "error", Error: "unreadable line " + string(line)}
			}
			steps <- s
		}
	}()
	resps := map[string]nodeStep{} // the "resp" lines, by name
	next := func(want string) nodeStep {
		t.Helper()
		for {
			select {
			case s, ok := <-steps:
				if !ok {
					t.Fatalf("node SMSC exited while waiting for %q", want)
				}
				t.Logf("node: %+v", s)
				if s.Step == "error" {
					t.Fatalf("node SMSC: %s", s.Error)
				}
				if s.Step == want {
					return s
				}
				if s.Step == "resp" {
					resps[s.Name] = s
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("no %q from the node SMSC", want)
			}
		}
	}
	port := next("listening").Port

	rec := newRecorder()
	gw := testGateway("127.0.0.1:" + strconv.Itoa(port))
	gw.Name, gw.EnquireLink = "interop", 50*time.Millisecond
	run := startESME(t, rec, gw)

	if s := next("bound"); s.Session != 1 || s.Command != "bind_receiver" {
		t.Fatalf("first bind %+v, want session 1 bind_receiver", s)
	}
	if s := next("cut"); s.EnquireLinks < 1 {
		t.Errorf("session 1 saw %d enquire_link from the ESME, want at least 1", s.EnquireLinks)
	}
	if s := next("bound"); s.Session != 2 {
		t.Fatalf("bind after the cut %+v, want session 2", s)
	}
	next("done")

	wantResps := map[string]string{ // name: command status
		"n-1": "deliver_sm_resp 0", "n-2": "deliver_sm_resp 0", "n-3": "deliver_sm_resp 0",
		"n-4": "data_sm_resp 0", "enquire_link": "enquire_link_resp 0",
		"unknown-command": "generic_nack 3", "truncated-deliver_sm": "generic_nack 2",
		"n-5": "deliver_sm_resp 0", "n-6": "deliver_sm_resp 0", "n-7": "deliver_sm_resp 0",
	}
	got := map[string]string{}
	for name, s := range resps {
		got[name] = fmt.Sprintf("%s %d", s.Command, s.Status)
	}
	if diff := cmp.Diff(wantResps, got); diff != "" {
		t.Errorf("answers seen by the node SMSC (-want +got):\n%s", diff)
	}
	if resps["unknown-command"].Seq != 90001 || resps["truncated-deliver_sm"].Seq != 90002 {
		t.Errorf("generic_nack sequence numbers %d, %d, want 90001, 90002",
			resps["unknown-command"].Seq, resps["truncated-deliver_sm"].Seq)
	}

	ids, calls := rec.ids()
	sort.Strings(ids)
	wantIDs := []string{
		"smpp:interop:n-1:delivrd", "smpp:interop:n-2:undeliv", "smpp:interop:n-3:/5",
		"smpp:interop:n-4:/2", "smpp:interop:n-5:delivrd", "smpp:interop:n-6:expired",
		"smpp:interop:n-7:delivrd",
	}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("published event ids (-want +got):\n%s", diff)
	}
	for id, n := range calls {
		if n != 1 {
			t.Errorf("%s published %d times, want exactly once", id, n)
		}
	}
	if e := rec.event(t, "smpp:interop:n-3:/5"); e.Type != "failed" || e.SMS.NetworkError != "030001" || e.Recipient != "447700900100" {
		t.Errorf("TLV receipt: %+v %+v", e, e.SMS)
	}

	run.stop(t)
	if s := next("unbind"); s.Session != 2 {
		t.Errorf("unbind on session %d, want 2", s.Session)
	}
}
