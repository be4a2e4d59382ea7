package smpp

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rebond/rebond/channels"
)

// fakeStore knows messages by id and keeps what the ESME refuses.
type fakeStore struct {
	mu       sync.Mutex
	messages map[string]string // message id → recipient
	down     bool
	rejected []map[string]any
	sources  []string
}

func (s *fakeStore) MessageRecipient(_ context.Context, tenant string, ch channels.Channel, id string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return "", errors.New("database down")
	}
	if tenant != channels.DefaultTenant || ch != channels.SMS {
		return "", nil
	}
	return s.messages[id], nil
}

func (s *fakeStore) InsertRejected(_ context.Context, source, _ string, payload []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		return err
	}
	s.rejected = append(s.rejected, m)
	s.sources = append(s.sources, source)
	return nil
}

func (s *fakeStore) kept() ([]map[string]any, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.rejected...), append([]string(nil), s.sources...)
}

// TestReceiptWithoutNumberJoinsByMessageID: an empty source_addr is no
// reason to refuse a receipt whose message id is a known message: the id
// joins it, and the number is the message's. An unknown id (the sent event
// may come later) and a store that cannot answer make the SMSC deliver it
// again; the first is kept in rejected_events meanwhile.
func TestReceiptWithoutNumberJoinsByMessageID(t *testing.T) {
	t.Parallel()
	smsc, rec := newFakeSMSC(t), newRecorder()
	st := &fakeStore{messages: map[string]string{"m-100": "447700900001"}}
	startESMEStore(t, rec, st, testGateway(smsc.addr()))
	c := smsc.next(t)

	if got := c.deliver(t, receipt("", textDelivered)); got != statusOK {
		t.Fatalf("known message: answered %s, want ESME_ROK", statusText(got))
	}
	if e := rec.event(t, "smpp:gw:m-100:delivrd"); e.Recipient != "447700900001" || e.MessageID != "m-100" {
		t.Errorf("joined receipt: recipient %q message %q", e.Recipient, e.MessageID)
	}

	if got := c.deliver(t, receipt("", textFailed)); got != StatusTempAppError {
		t.Fatalf("unknown message: answered %s, want ESME_RX_T_APPN", statusText(got))
	}
	kept, sources := st.kept()
	if len(kept) != 1 {
		t.Fatalf("kept %d refusals, want 1", len(kept))
	}
	r := kept[0]
	got := map[string]any{"source": sources[0], "message_id": r["message_id"], "command": r["command"], "answer": r["answer"],
		"text": r["text"], "error": r["error"]}
	want := map[string]any{"source": "smpp:gw", "message_id": "m-101", "command": "deliver_sm",
		"answer": statusText(StatusTempAppError), "text": textFailed, "error": errNoNumber.Error()}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kept refusal (-want +got):\n%s", diff)
	}
	if hex, _ := r["pdu_hex"].(string); !strings.HasPrefix(hex, "000000") || len(hex) != 2*int(r["pdu_len"].(float64)) {
		t.Errorf("pdu_hex %q does not hold the %v-octet PDU", hex, r["pdu_len"])
	}

	st.mu.Lock()
	st.down = true
	st.mu.Unlock()
	if got := c.deliver(t, receipt("", strings.Replace(textFailed, "m-101", "m-102", 1))); got != StatusTempAppError {
		t.Errorf("store down: answered %s, want ESME_RX_T_APPN", statusText(got))
	}
	st.mu.Lock()
	st.down = false
	st.messages["m-101"] = "447700900002"
	st.mu.Unlock()
	if got := c.deliver(t, receipt("", textFailed)); got != statusOK {
		t.Fatalf("the message known now: answered %s, want ESME_ROK", statusText(got))
	}
	if e := rec.event(t, "smpp:gw:m-101:undeliv"); e.Recipient != "447700900002" {
		t.Errorf("re-delivered receipt: recipient %q", e.Recipient)
	}
}

// TestUnreadableReceiptKept: a receipt rebond cannot read is kept with
// what decoded (its number, its text) and the PDU in hex, not only logged.
func TestUnreadableReceiptKept(t *testing.T) {
	t.Parallel()
	smsc, rec := newFakeSMSC(t), newRecorder()
	st := &fakeStore{}
	startESMEStore(t, rec, st, testGateway(smsc.addr()))
	c := smsc.next(t)
	const text = "your parcel is on its way"
	if got := c.deliver(t, receipt("447700900009", text)); got != StatusPermAppError {
		t.Fatalf("answered %s, want ESME_RX_P_APPN", statusText(got))
	}
	kept, _ := st.kept()
	if len(kept) != 1 {
		t.Fatalf("kept %d refusals, want 1", len(kept))
	}
	if kept[0]["source_addr"] != "447700900009" || kept[0]["text"] != text || kept[0]["pdu_hex"] == "" || kept[0]["error"] == "" {
		t.Errorf("kept %+v", kept[0])
	}
}
