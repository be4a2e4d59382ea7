package smpp

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fiorix/go-smpp/smpp/pdu"
	"github.com/fiorix/go-smpp/smpp/pdu/pdufield"
	"github.com/fiorix/go-smpp/smpp/pdu/pdutlv"
)

// waitFor bounds every wait of the tests.
const waitFor = 5 * time.Second

// fakeSMSC is an in-process SMSC: it accepts binds, answers enquire_link
// and unbind, and lets a test push PDUs and read what the ESME answers.
// It reads PDUs with go-smpp's header decoder, not with the code under
// test.
type fakeSMSC struct {
	t     testing.TB
	ln    net.Listener
	conns chan *smscConn
	// refuse is how many binds to refuse with ESME_RBINDFAIL first.
	refuse atomic.Int32
	// silent: leave the ESME's enquire_link unanswered.
	silent atomic.Bool
	binds  atomic.Int32
}

// smscConn is one bound connection as the SMSC sees it.
type smscConn struct {
	t        testing.TB
	nc       net.Conn
	bind     pdu.Body // the ESME's bind, decoded
	seq      atomic.Uint32
	wmu      sync.Mutex
	in       chan smscPDU // PDUs of the ESME not answered automatically
	backlog  []smscPDU
	enquires atomic.Int32
	unbinds  atomic.Int32
	closed   chan struct{}
}

type smscPDU struct {
	hdr  *pdu.Header
	body []byte
}

func newFakeSMSC(t testing.TB) *fakeSMSC {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startFakeSMSC(t, ln)
}

func startFakeSMSC(t testing.TB, ln net.Listener) *fakeSMSC {
	s := &fakeSMSC{t: t, ln: ln, conns: make(chan *smscConn, 16)}
	go s.accept()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *fakeSMSC) addr() string { return s.ln.Addr().String() }

func (s *fakeSMSC) accept() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.serve(nc)
	}
}

// readSMSCPDU reads one PDU the way the SMSC side does: go-smpp's header
// decoder, then the body.
func readSMSCPDU(r io.Reader) (smscPDU, error) {
	h, err := pdu.DecodeHeader(r)
	if err != nil {
		return smscPDU{}, err
	}
	body := make([]byte, h.Len-pdu.HeaderLen)
	if _, err := io.ReadFull(r, body); err != nil {
		return smscPDU{}, err
	}
	return smscPDU{hdr: h, body: body}, nil
}

func (s *fakeSMSC) serve(nc net.Conn) {
	c := &smscConn{t: s.t, nc: nc, in: make(chan smscPDU, 1024), closed: make(chan struct{})}
	defer close(c.closed)
	defer nc.Close()
	p, err := readSMSCPDU(nc)
	if err != nil {
		return
	}
	if c.bind, err = pdu.Decode(bytes.NewReader(append(headerBytes(p.hdr), p.body...))); err != nil {
		s.t.Errorf("fake SMSC: undecodable bind: %v", err)
		return
	}
	s.binds.Add(1)
	resp := pdu.NewBindReceiverResp()
	resp.Header().ID = p.hdr.ID | 0x80000000
	resp.Header().Seq = p.hdr.Seq
	_ = resp.Fields().Set(pdufield.SystemID, "fakesmsc")
	if s.refuse.Add(-1) >= 0 {
		resp.Header().Status = 0x0d // ESME_RBINDFAIL
		c.write(resp)
		return
	}
	c.write(resp)
	s.conns <- c
	for {
		p, err := readSMSCPDU(nc)
		if err != nil {
			return
		}
		switch p.hdr.ID {
		case pdu.EnquireLinkID:
			c.enquires.Add(1)
			if !s.silent.Load() {
				c.write(withSeq(pdu.NewEnquireLinkResp(), p.hdr.Seq))
			}
		case pdu.UnbindID:
			c.unbinds.Add(1)
			c.write(withSeq(pdu.NewUnbindResp(), p.hdr.Seq))
		default:
			c.in <- p
		}
	}
}

// next waits for the ESME's next bound connection.
func (s *fakeSMSC) next(t testing.TB) *smscConn {
	t.Helper()
	select {
	case c := <-s.conns:
		return c
	case <-time.After(waitFor):
		t.Fatalf("no bind within %s", waitFor)
		return nil
	}
}

func headerBytes(h *pdu.Header) []byte {
	var b bytes.Buffer
	_ = h.SerializeTo(&b)
	return b.Bytes()
}

func withSeq(b pdu.Body, seq uint32) pdu.Body {
	b.Header().Seq = seq
	return b
}

func (c *smscConn) write(b pdu.Body) {
	var buf bytes.Buffer
	if err := b.SerializeTo(&buf); err != nil {
		c.t.Errorf("fake SMSC: encode %s: %v", b.Header().ID, err)
		return
	}
	c.writeRaw(buf.Bytes())
}

func (c *smscConn) writeRaw(p []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, _ = c.nc.Write(p)
}

// send numbers a request and writes it; it returns the sequence number.
func (c *smscConn) send(b pdu.Body) uint32 {
	seq := c.seq.Add(1)
	b.Header().Seq = seq
	c.write(b)
	return seq
}

// sendRaw writes a copy of an encoded request with the next sequence
// number.
func (c *smscConn) sendRaw(p []byte) uint32 {
	p = append([]byte(nil), p...)
	seq := c.seq.Add(1)
	binary.BigEndian.PutUint32(p[12:16], seq)
	c.writeRaw(p)
	return seq
}

// expect waits for the ESME's PDU with the sequence number seq and checks
// its command_id; other PDUs wait in the backlog for their own expect.
func (c *smscConn) expect(t testing.TB, id pdu.ID, seq uint32) *pdu.Header {
	t.Helper()
	for i, p := range c.backlog {
		if p.hdr.Seq == seq {
			c.backlog = append(c.backlog[:i], c.backlog[i+1:]...)
			return checkID(t, p, id)
		}
	}
	deadline := time.After(waitFor)
	for {
		select {
		case p := <-c.in:
			if p.hdr.Seq == seq {
				return checkID(t, p, id)
			}
			c.backlog = append(c.backlog, p)
		case <-deadline:
			t.Fatalf("no %s with seq %d within %s", id, seq, waitFor)
			return nil
		}
	}
}

func checkID(t testing.TB, p smscPDU, id pdu.ID) *pdu.Header {
	t.Helper()
	if p.hdr.ID != id {
		t.Fatalf("seq %d: got %s (%#08x) status %#x, want %s", p.hdr.Seq, p.hdr.ID, uint32(p.hdr.ID), uint32(p.hdr.Status), id)
	}
	return p.hdr
}

// deliver sends a deliver_sm and returns the status of its deliver_sm_resp.
func (c *smscConn) deliver(t testing.TB, p []byte) pdu.Status {
	t.Helper()
	return c.expect(t, pdu.DeliverSMRespID, c.sendRaw(p)).Status
}

// waitClosed waits for the ESME to close the connection.
func (c *smscConn) waitClosed(t testing.TB) {
	t.Helper()
	select {
	case <-c.closed:
	case <-time.After(waitFor):
		t.Fatalf("connection still open after %s", waitFor)
	}
}

// cut closes the connection from the SMSC side.
func (c *smscConn) cut() { c.nc.Close() }

// receipt builds a receipt deliver_sm: esm_class 0x04 (SMSC delivery
// receipt, SMPP 3.4 section 5.2.12).
func receipt(src, text string, tlvs ...*pdutlv.Field) []byte {
	return deliverSM(0x04, src, text, tlvs...)
}

// deliverSM encodes a deliver_sm (SMPP 3.4 section 4.6.1) by hand:
// go-smpp's encoder writes a UDH length octet even without UDHI, which no
// SMSC sends and which its own decoder misreads.
func deliverSM(esm uint8, src, text string, tlvs ...*pdutlv.Field) []byte {
	var b bytes.Buffer
	b.Write(make([]byte, pdu.HeaderLen))
	b.WriteString("\x00")                                         // service_type
	b.Write([]byte{1, 1})                                         // source_addr_ton, npi
	b.WriteString(src + "\x00")                                   // source_addr
	b.WriteString("\x00\x00REBOND\x00")                           // dest_addr_ton, npi, destination_addr
	b.Write([]byte{esm, 0, 0, 0, 0, 0, 0, 0, 0, byte(len(text))}) // esm_class … sm_length
	b.WriteString(text)
	return finish(&b, pdu.DeliverSMID, tlvs)
}

// finish appends the TLVs and fills the header of a PDU built by hand.
func finish(b *bytes.Buffer, id pdu.ID, tlvs []*pdutlv.Field) []byte {
	for _, t := range tlvs {
		_ = t.SerializeTo(b)
	}
	p := b.Bytes()
	binary.BigEndian.PutUint32(p[0:4], uint32(len(p)))
	binary.BigEndian.PutUint32(p[4:8], uint32(id))
	return p
}

// dataSM builds a data_sm (SMPP 3.4 section 4.7.1), which go-smpp cannot
// encode: the mandatory fields by hand, then TLVs with go-smpp.
func dataSM(esm uint8, src string, tlvs ...*pdutlv.Field) []byte {
	var b bytes.Buffer
	b.Write(make([]byte, pdu.HeaderLen))
	b.WriteString("\x00")               // service_type
	b.Write([]byte{1, 1})               // source_addr_ton, npi
	b.WriteString(src + "\x00")         // source_addr
	b.WriteString("\x00\x00REBOND\x00") // dest_addr_ton, npi, destination_addr
	b.Write([]byte{esm, 0, 0})          // esm_class, registered_delivery, data_coding
	return finish(&b, pdu.DataSMID, tlvs)
}

func tlv(tag pdutlv.Tag, v []byte) *pdutlv.Field { return &pdutlv.Field{Tag: tag, Data: v} }

// encoded serializes a PDU go-smpp encodes correctly (one without
// short_message UDH trouble: submit_sm carries none of the UDH fields).
func encoded(b pdu.Body) []byte {
	var buf bytes.Buffer
	_ = b.SerializeTo(&buf)
	return buf.Bytes()
}
