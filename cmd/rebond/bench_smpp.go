package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// SMPP 3.4 command ids the bench SMSC reads and writes (section 5.1.2.1).
const (
	smppBindReceiver    uint32 = 0x00000001
	smppBindTransmitter uint32 = 0x00000002
	smppBindTransceiver uint32 = 0x00000009
	smppUnbind          uint32 = 0x00000006
	smppEnquireLink     uint32 = 0x00000015
	smppDeliverSM       uint32 = 0x00000005
	smppGenericNack     uint32 = 0x80000000
	smppResp            uint32 = 0x80000000
	smppMaxPDU                 = 64 << 10
	smppWindow                 = 200 // deliver_sm awaiting their response, all binds together
	// Command statuses (section 5.1.3) that ask for the PDU again later:
	// ESME_RX_T_APPN (rebond could not publish it yet), ESME_RTHROTTLED,
	// ESME_RMSGQFUL. Any other refusal is final.
	smppRxTAppn     uint32 = 0x00000064
	smppThrottled   uint32 = 0x00000058
	smppMsgQueueFul uint32 = 0x00000014
	// smppMaxSM is the longest short_message (sm_length is one octet,
	// section 4.6.1: at most 254); a longer receipt text travels in the
	// message_payload TLV (tag 0x0424, section 5.3.2.32) instead.
	smppMaxSM          = 254
	smppMessagePayload = 0x0424
)

// receiptJob is one SMS receipt the bench delivers through an SMPP bind.
type receiptJob struct {
	messageID, recipient, stat, err string
	done                            time.Time
}

// text is the receipt in the de-facto format of SMPP 3.4 Appendix B.
func (j receiptJob) text() string {
	dlvrd, ts := "000", j.done.UTC().Format("0601021504")
	if j.stat == "DELIVRD" {
		dlvrd = "001"
	}
	return fmt.Sprintf("id:%s sub:001 dlvrd:%s submit date:%s done date:%s stat:%s err:%s text:",
		j.messageID, dlvrd, ts, ts, j.stat, j.err)
}

// deliverSM encodes j as a deliver_sm carrying a delivery receipt (SMPP
// 3.4 section 4.6.1, esm_class 0x04), from the handset to rebond.
func (j receiptJob) deliverSM(seq uint32) []byte {
	text := j.text()
	var b bytes.Buffer
	b.Write(make([]byte, 16))
	b.WriteString("\x00")                         // service_type
	b.Write([]byte{1, 1})                         // source_addr_ton (international), npi (E.164)
	b.WriteString(j.recipient + "\x00")           // source_addr: the handset
	b.WriteString("\x00\x00REBOND\x00")           // dest_addr_ton, npi, destination_addr
	b.Write([]byte{0x04, 0, 0, 0, 0, 0, 0, 0, 0}) // esm_class … sm_default_msg_id
	if len(text) <= smppMaxSM {
		b.WriteByte(byte(len(text))) // sm_length
		b.WriteString(text)
	} else {
		b.WriteByte(0) // sm_length 0: the text is in message_payload
		var tlv [4]byte
		binary.BigEndian.PutUint16(tlv[0:2], smppMessagePayload)
		binary.BigEndian.PutUint16(tlv[2:4], uint16(len(text)))
		b.Write(tlv[:])
		b.WriteString(text)
	}
	p := b.Bytes()
	binary.BigEndian.PutUint32(p[0:4], uint32(len(p)))
	binary.BigEndian.PutUint32(p[4:8], smppDeliverSM)
	binary.BigEndian.PutUint32(p[12:16], seq)
	return p
}

// benchSMSC is the SMSC end of rebond's SMPP binds for rebond bench:
// rebond's smpp role binds to it (a smpp.gateways entry whose addr is the
// bench's --smpp-listen), and it delivers the bench's receipts over those
// binds, resending any that rebond does not answer ESME_ROK (rebond
// answers only once the receipt is on JetStream).
type benchSMSC struct {
	ln      net.Listener
	mu      sync.Mutex
	binds   []*smscBind
	next    int
	bound   chan struct{} // closed at the first bind
	once    sync.Once
	rebound chan struct{} // a token at every bind, for a sender with none left
	// bindWait bounds the wait for a bind, at the start and after every
	// bind dropped; refused counts the receipts rebond refused for good,
	// firstRefusal says how.
	bindWait     time.Duration
	refused      atomic.Int64
	firstRefusal atomic.Value
	window       chan struct{}   // a slot per deliver_sm awaiting its response
	retry        chan receiptJob // refused or cut off: delivered again first
	// remaining counts the receipts taken from the jobs and not yet
	// acknowledged by rebond.
	remaining atomic.Int64
	sent      *atomic.Int64
}

// smscBind is one bound connection and its receipts awaiting an answer.
type smscBind struct {
	nc      net.Conn
	wmu     sync.Mutex
	mu      sync.Mutex
	seq     uint32
	pending map[uint32]receiptJob
	closed  bool
}

// sendReceipts listens on addr, waits up to bindWait for rebond to bind,
// and delivers every job, counting those rebond acknowledged in sent. It
// returns once all are acknowledged, ctx ends, or no bind is left.
func sendReceipts(ctx context.Context, addr string, jobs <-chan receiptJob, bindWait time.Duration, sent *atomic.Int64) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--smpp-listen: %w", err)
	}
	s := &benchSMSC{ln: ln, bound: make(chan struct{}), rebound: make(chan struct{}, 1), window: make(chan struct{}, smppWindow),
		retry: make(chan receiptJob, 4*smppWindow), sent: sent, bindWait: bindWait}
	defer s.close()
	go s.accept()
	select {
	case <-s.bound:
	case <-time.After(bindWait):
		return fmt.Errorf("--smpp-listen %s: no SMPP bind from rebond within %s (does a smpp.gateways entry have addr %s?)", addr, bindWait, addr)
	case <-ctx.Done():
		return ctx.Err()
	}
	for {
		var j receiptJob
		select {
		case j = <-s.retry: // retries first, so they never pile up
		default:
			if jobs == nil && s.remaining.Load() == 0 {
				if n := s.refused.Load(); n > 0 {
					return fmt.Errorf("smpp: rebond refused %d receipts for good (first: %v)", n, s.firstRefusal.Load())
				}
				return nil
			}
			select {
			case j = <-s.retry:
			case next, ok := <-jobs: // a nil jobs (drained) never fires
				if !ok {
					jobs = nil
					continue
				}
				j = next
				s.remaining.Add(1)
			case <-time.After(50 * time.Millisecond):
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		select {
		case s.window <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := s.deliver(ctx, j); err != nil {
			return err
		}
	}
}

// deliver writes j on the next bind, waiting up to bindWait for rebond to
// bind again when none is left. A write error closes that bind, whose
// drop puts j back in the queue with its other receipts.
func (s *benchSMSC) deliver(ctx context.Context, j receiptJob) error {
	for {
		b := s.pick()
		if b == nil {
			select {
			case <-s.rebound:
				continue
			case <-time.After(s.bindWait):
				<-s.window
				return fmt.Errorf("smpp: every bind from rebond is gone, and none came back within %s", s.bindWait)
			case <-ctx.Done():
				<-s.window
				return ctx.Err()
			}
		}
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			continue
		}
		b.seq++
		seq := b.seq
		b.pending[seq] = j
		b.mu.Unlock()
		if err := b.write(j.deliverSM(seq)); err != nil {
			s.drop(b) // requeues j (or another drop already did)
		}
		return nil
	}
}

func (s *benchSMSC) pick() *smscBind {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range s.binds {
		b := s.binds[s.next%len(s.binds)]
		s.next++
		b.mu.Lock()
		closed := b.closed
		b.mu.Unlock()
		if !closed {
			return b
		}
	}
	return nil
}

func (s *benchSMSC) accept() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		b := &smscBind{nc: nc, pending: make(map[uint32]receiptJob)}
		go s.serve(b)
	}
}

// serve answers one connection: binds, enquire_link, unbind, and the
// responses to the bench's deliver_sm.
func (s *benchSMSC) serve(b *smscBind) {
	defer s.drop(b)
	hdr := make([]byte, 16)
	for {
		if _, err := io.ReadFull(b.nc, hdr); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(hdr[0:4])
		id, status, seq := binary.BigEndian.Uint32(hdr[4:8]), binary.BigEndian.Uint32(hdr[8:12]), binary.BigEndian.Uint32(hdr[12:16])
		if n < 16 || n > smppMaxPDU {
			return
		}
		if _, err := io.CopyN(io.Discard, b.nc, int64(n-16)); err != nil {
			return
		}
		switch id {
		case smppBindReceiver, smppBindTransmitter, smppBindTransceiver:
			if b.write(smppPDU(id|smppResp, 0, seq, "benchsmsc\x00")) != nil {
				return
			}
			s.mu.Lock()
			s.binds = append(s.binds, b)
			s.mu.Unlock()
			s.once.Do(func() { close(s.bound) })
			select {
			case s.rebound <- struct{}{}:
			default:
			}
		case smppEnquireLink:
			if b.write(smppPDU(id|smppResp, 0, seq, "")) != nil {
				return
			}
		case smppUnbind:
			_ = b.write(smppPDU(id|smppResp, 0, seq, ""))
			return
		case smppDeliverSM | smppResp, smppGenericNack:
			b.mu.Lock()
			j, ok := b.pending[seq]
			delete(b.pending, seq)
			b.mu.Unlock()
			if !ok {
				continue
			}
			<-s.window
			switch {
			case id == smppDeliverSM|smppResp && status == 0:
				s.sent.Add(1)
				s.remaining.Add(-1)
			case id == smppDeliverSM|smppResp && (status == smppRxTAppn || status == smppThrottled || status == smppMsgQueueFul):
				s.retry <- j // rebond could not take it now: again
			default: // refused for good (ESME_RX_P_APPN, generic_nack...)
				s.firstRefusal.CompareAndSwap(nil, fmt.Sprintf("receipt %s: command 0x%08x status 0x%08x", j.messageID, id, status))
				s.refused.Add(1)
				s.remaining.Add(-1)
			}
		}
	}
}

// drop closes a bind and puts its unanswered receipts back in the queue.
func (s *benchSMSC) drop(b *smscBind) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	pending := b.pending
	b.pending = map[uint32]receiptJob{}
	b.mu.Unlock()
	b.nc.Close()
	for _, j := range pending {
		<-s.window
		s.retry <- j
	}
}

// close unbinds every bind and stops listening.
func (s *benchSMSC) close() {
	s.ln.Close()
	s.mu.Lock()
	binds := append([]*smscBind(nil), s.binds...)
	s.mu.Unlock()
	for _, b := range binds {
		_ = b.write(smppPDU(smppUnbind, 0, 0x7fffffff, ""))
		b.nc.Close()
	}
}

func (b *smscBind) write(p []byte) error {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	_ = b.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := b.nc.Write(p)
	return err
}

// smppPDU encodes a PDU whose body is given as raw bytes.
func smppPDU(id, status, seq uint32, body string) []byte {
	p := make([]byte, 16, 16+len(body))
	binary.BigEndian.PutUint32(p[0:4], uint32(16+len(body)))
	binary.BigEndian.PutUint32(p[4:8], id)
	binary.BigEndian.PutUint32(p[8:12], status)
	binary.BigEndian.PutUint32(p[12:16], seq)
	return append(p, body...)
}
