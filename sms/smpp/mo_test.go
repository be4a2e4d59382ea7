package smpp

import (
	"bytes"
	"encoding/hex"
	"testing"
	"time"

	"github.com/fiorix/go-smpp/smpp/pdu"
	"github.com/fiorix/go-smpp/smpp/pdu/pdutlv"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/sms"
)

// moPDU builds a mobile-originated deliver_sm (esm_class esm: 0, or 0x40
// with a UDH) with a data_coding, by hand as deliverSM does.
func moPDU(esm, dataCoding byte, src string, text []byte, tlvs ...*pdutlv.Field) []byte {
	var b bytes.Buffer
	b.Write(make([]byte, pdu.HeaderLen))
	b.WriteString("\x00")                                                  // service_type
	b.Write([]byte{1, 1})                                                  // source_addr_ton, npi
	b.WriteString(src + "\x00")                                            // source_addr
	b.WriteString("\x00\x00" + "36180\x00")                                // dest_addr_ton, npi, destination_addr: a short code
	b.Write([]byte{esm, 0, 0, 0, 0, 0, 0, dataCoding, 0, byte(len(text))}) // esm_class … sm_length
	b.Write(text)
	return finish(&b, pdu.DeliverSMID, tlvs)
}

// ucs2 encodes s as UCS-2 (its characters are all in the BMP).
func ucs2(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r>>8), byte(r))
	}
	return b
}

// lastPublished returns the event published last.
func (r *recorder) lastPublished(t testing.TB) channels.Event {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.order) == 0 {
		t.Fatal("nothing published")
	}
	return r.byID[r.order[len(r.order)-1]]
}

// TestMO: mobile-originated messages over a bind become consent events,
// each answered ESME_ROK once published.
func TestMO(t *testing.T) {
	t.Parallel()
	smsc, rec := newFakeSMSC(t), newRecorder()
	gw := testGateway(smsc.addr())
	gw.Region, gw.Tenant = "FR", "acme"
	run := startESME(t, rec, gw)
	c := smsc.next(t)
	udh := []byte{0x05, 0x00, 0x03, 0x2a, 0x02, 0x02} // part 2 of 2
	tests := []struct {
		name          string
		pdu           []byte
		answer        pdu.ID
		typ           channels.Type
		rcpt, keyword string
		text          string
	}{
		{"Stop svp in the GSM alphabet", moPDU(0, 0, "+33612345678", []byte("Stop svp")), pdu.DeliverSMRespID,
			channels.OptOut, "33612345678", "STOP", "Stop svp"},
		{"ARRÊT in UCS-2 from a national number", moPDU(0, 8, "0612345679", ucs2("ARRÊT")), pdu.DeliverSMRespID,
			channels.OptOut, "33612345679", "ARRÊT", "ARRÊT"},
		{"arrêt in Latin-1", moPDU(0, 3, "33612345680", []byte("arr\xeat!")), pdu.DeliverSMRespID,
			channels.OptOut, "33612345680", "ARRÊT", "arrêt!"},
		{"START", moPDU(0, 0, "33612345678", []byte("START")), pdu.DeliverSMRespID,
			channels.OptIn, "33612345678", "START", "START"},
		{"a question", moPDU(0, 0, "33612345678", []byte("C'est quand l'arr\x05t ?")), pdu.DeliverSMRespID,
			channels.Inbound, "33612345678", "", "C'est quand l'arrét ?"},
		{"the second part of a message", moPDU(0x40, 0, "33612345678", append(udh, "stop"...)), pdu.DeliverSMRespID,
			channels.Inbound, "33612345678", "", "stop"},
		{"data_sm with message_payload", dataSM(0, "33612345681", tlv(pdutlv.TagMessagePayload, []byte("STOP"))), pdu.DataSMRespID,
			channels.OptOut, "33612345681", "STOP", "STOP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now().UTC()
			if st := c.expect(t, tt.answer, c.sendRaw(tt.pdu)).Status; st != statusOK {
				t.Fatalf("answered %s, want ESME_ROK", statusText(st))
			}
			e := rec.lastPublished(t)
			if e.Type != tt.typ || e.Recipient != tt.rcpt || e.Consent == nil || e.Consent.Keyword != tt.keyword || e.Consent.Text != tt.text {
				t.Fatalf("published %s %s %+v, want %s %s keyword %q text %q", e.Type, e.Recipient, e.Consent, tt.typ, tt.rcpt, tt.keyword, tt.text)
			}
			if e.Provider != "smpp:gw" || e.Tenant != "acme" || e.Channel != channels.SMS || e.Consent.Source != channels.SourceSMSKeyword ||
				e.Consent.Scope != channels.ScopeAll || e.OccurredAt.Before(start.Add(-time.Second)) || e.ID == "" {
				t.Errorf("published %+v", e)
			}
			if raw, err := hex.DecodeString(e.Raw); err != nil || !bytes.Equal(raw[pdu.HeaderLen:], tt.pdu[pdu.HeaderLen:]) {
				t.Errorf("Raw %q is not the PDU (%v)", e.Raw, err)
			}
		})
	}
	if got := value(t, run.esme.binds[0].m.m.receipts.WithLabelValues("gw", "0", resultMO)); got != float64(len(tests)) {
		t.Errorf("receipts{result=mo} = %v, want %d", got, len(tests))
	}
}

// TestMOPublishFailure: an MO the bus did not take is answered
// ESME_RX_T_APPN, and published when the SMSC delivers it again.
func TestMOPublishFailure(t *testing.T) {
	t.Parallel()
	smsc, rec := newFakeSMSC(t), newRecorder()
	startESME(t, rec, testGateway(smsc.addr()))
	c := smsc.next(t)
	stop := moPDU(0, 0, "+33612345678", []byte("STOP"))
	rec.fail.Store(1)
	if st := c.deliver(t, stop); st != StatusTempAppError {
		t.Fatalf("answered %s while the bus fails, want ESME_RX_T_APPN", statusText(st))
	}
	if st := c.deliver(t, stop); st != statusOK {
		t.Fatalf("re-delivery answered %s", statusText(st))
	}
	if e := rec.lastPublished(t); e.Type != channels.OptOut {
		t.Errorf("published %s", e.Type)
	}
}

// TestMOKeywordsConfigured: the ESME reads the keywords it is given.
func TestMOKeywordsConfigured(t *testing.T) {
	t.Parallel()
	kw, err := sms.NewKeywords(sms.KeywordConfig{KeywordList: sms.KeywordList{OptOut: []string{"NO MORE"}}})
	if err != nil {
		t.Fatal(err)
	}
	smsc, rec := newFakeSMSC(t), newRecorder()
	startESMEConfig(t, rec, nil, Config{Gateways: []Gateway{testGateway(smsc.addr())}, Keywords: kw})
	c := smsc.next(t)
	if st := c.deliver(t, moPDU(0, 0, "+14155550100", []byte("No more!"))); st != statusOK {
		t.Fatalf("answered %s", statusText(st))
	}
	if got := rec.lastPublished(t); got.Type != channels.OptOut || got.Consent.Keyword != "NO MORE" {
		t.Errorf("published %s %+v", got.Type, got.Consent)
	}
}
