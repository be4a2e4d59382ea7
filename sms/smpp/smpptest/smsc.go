// Package smpptest is an SMSC for tests and load generation: it accepts
// the binds of an ESME (rebond's sms/smpp, or any other) and delivers
// delivery receipts over them as deliver_sm (SMPP 3.4 section 4.6.1),
// delivering again those the ESME asks for later, as a real SMSC does.
// It frames PDUs with go-smpp's pdu package and sms/smpp's encoder.
package smpptest

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fiorix/go-smpp/smpp/pdu"
	"github.com/fiorix/go-smpp/smpp/pdu/pdufield"

	"github.com/rebond/rebond/sms/smpp"
)

// Window is how many deliver_sm may await their response, all binds
// together.
const Window = 200

// Command statuses besides the ESME's own (smpp.StatusTempAppError)
// with which an ESME asks for a PDU again later (SMPP 3.4 section
// 5.1.3): any other refusal is final.
const (
	statusMsgQueueFull pdu.Status = 0x00000014 // ESME_RMSGQFUL
	statusThrottled    pdu.Status = 0x00000058 // ESME_RTHROTTLED
)

// transient reports whether an ESME's answer asks for the PDU again.
func transient(s pdu.Status) bool {
	return s == smpp.StatusTempAppError || s == statusThrottled || s == statusMsgQueueFull
}

// DeliverReceipts listens on addr, waits up to bindWait for an ESME to
// bind, and delivers every receipt of receipts over its binds, counting
// in sent those the ESME acknowledged (ESME_ROK). A receipt refused for
// now, or left unanswered on a bind that dropped, is delivered again;
// when no bind is left it waits bindWait for one to come back. It
// returns once every receipt is acknowledged or refused for good (an
// error then says how many), or ctx ends, or no bind came back.
func DeliverReceipts(ctx context.Context, addr string, receipts <-chan Receipt, bindWait time.Duration, sent *atomic.Int64) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("smsc: %w", err)
	}
	s := &smsc{ln: ln, receipts: receipts, bound: make(chan struct{}), rebound: make(chan struct{}, 1), window: make(chan struct{}, Window),
		retry: make(chan Receipt, 4*Window), sent: sent, bindWait: bindWait}
	defer s.close()
	go s.accept()
	select {
	case <-s.bound:
	case <-time.After(bindWait):
		return fmt.Errorf("smsc %s: no SMPP bind within %s (does a smpp.gateways entry have addr %s?)", addr, bindWait, addr)
	case <-ctx.Done():
		return ctx.Err()
	}
	for {
		r, done, err := s.nextReceipt(ctx)
		if err != nil || done {
			return err
		}
		if r == nil {
			continue
		}
		select {
		case s.window <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := s.deliver(ctx, *r); err != nil {
			return err
		}
	}
}

// smsc is the SMSC end of an ESME's binds.
type smsc struct {
	ln       net.Listener
	receipts <-chan Receipt // the caller's, nil once closed and drained
	mu       sync.Mutex
	binds    []*bind
	next     int
	bound    chan struct{} // closed at the first bind
	once     sync.Once
	rebound  chan struct{} // a token at every bind, for a sender with none left
	// bindWait bounds the wait for a bind, at the start and after every
	// bind dropped; refused counts the receipts refused for good,
	// firstRefusal says how.
	bindWait     time.Duration
	refused      atomic.Int64
	firstRefusal atomic.Value
	window       chan struct{} // a slot per deliver_sm awaiting its response
	retry        chan Receipt  // refused for now or cut off: delivered again first
	// remaining counts the receipts taken from the caller and not yet
	// answered for good.
	remaining atomic.Int64
	sent      *atomic.Int64
}

// bind is one bound connection and its receipts awaiting an answer.
type bind struct {
	nc      net.Conn
	wmu     sync.Mutex
	mu      sync.Mutex
	seq     uint32
	pending map[uint32]Receipt
	closed  bool
}

// nextReceipt is the next receipt to deliver: a retry first, so that they
// never pile up, else the caller's next. done means every receipt is
// answered for good; a nil receipt without done means none is ready yet.
func (s *smsc) nextReceipt(ctx context.Context) (r *Receipt, done bool, err error) {
	select {
	case j := <-s.retry:
		return &j, false, nil
	default:
	}
	if s.receipts == nil && s.remaining.Load() == 0 {
		if n := s.refused.Load(); n > 0 {
			return nil, true, fmt.Errorf("smsc: the ESME refused %d receipts for good (first: %v)", n, s.firstRefusal.Load())
		}
		return nil, true, nil
	}
	select {
	case j := <-s.retry:
		return &j, false, nil
	case j, ok := <-s.receipts: // a nil channel (drained) never fires
		if !ok {
			s.receipts = nil
			return nil, false, nil
		}
		s.remaining.Add(1)
		return &j, false, nil
	case <-time.After(50 * time.Millisecond):
		return nil, false, nil
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
}

// deliver writes r on the next bind, waiting up to bindWait for the ESME
// to bind again when none is left. A write error closes that bind, whose
// drop puts r back in the queue with its other receipts.
func (s *smsc) deliver(ctx context.Context, r Receipt) error {
	for {
		b := s.pick()
		if b == nil {
			select {
			case <-s.rebound:
				continue
			case <-time.After(s.bindWait):
				<-s.window
				return fmt.Errorf("smsc: every bind is gone, and none came back within %s", s.bindWait)
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
		b.pending[seq] = r
		b.mu.Unlock()
		if err := b.write(r.deliverSM(seq)); err != nil {
			s.drop(b) // requeues r (or another drop already did)
		}
		return nil
	}
}

// pick is the next open bind, round robin; nil when none is open.
func (s *smsc) pick() *bind {
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

func (s *smsc) accept() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.serve(&bind{nc: nc, pending: make(map[uint32]Receipt)})
	}
}

// bindResponses are the response bodies of the three binds (SMPP 3.4
// section 4.1).
var bindResponses = map[pdu.ID]func() pdu.Body{
	pdu.BindReceiverID:    pdu.NewBindReceiverResp,
	pdu.BindTransmitterID: pdu.NewBindTransmitterResp,
	pdu.BindTransceiverID: pdu.NewBindTransceiverResp,
}

// serve answers one connection: binds, enquire_link, unbind, and the
// responses to the SMSC's deliver_sm.
func (s *smsc) serve(b *bind) {
	defer s.drop(b)
	for {
		h, err := pdu.DecodeHeader(b.nc)
		if err != nil {
			return
		}
		if _, err := io.CopyN(io.Discard, b.nc, int64(h.Len-pdu.HeaderLen)); err != nil {
			return
		}
		switch h.ID {
		case pdu.BindReceiverID, pdu.BindTransmitterID, pdu.BindTransceiverID:
			resp := bindResponses[h.ID]()
			_ = resp.Fields().Set(pdufield.SystemID, "smpptest")
			if b.write(smpp.EncodePDU(resp, resp.Header().ID, 0, h.Seq)) != nil {
				return
			}
			s.addBind(b)
		case pdu.EnquireLinkID:
			if b.write(smpp.EncodePDU(pdu.NewEnquireLinkResp(), pdu.EnquireLinkRespID, 0, h.Seq)) != nil {
				return
			}
		case pdu.UnbindID:
			_ = b.write(smpp.EncodePDU(pdu.NewUnbindResp(), pdu.UnbindRespID, 0, h.Seq))
			return
		case pdu.DeliverSMRespID, pdu.GenericNACKID:
			s.answered(b, h)
		}
	}
}

// addBind adds a bind to the rotation and wakes a sender waiting for one.
func (s *smsc) addBind(b *bind) {
	s.mu.Lock()
	s.binds = append(s.binds, b)
	s.mu.Unlock()
	s.once.Do(func() { close(s.bound) })
	select {
	case s.rebound <- struct{}{}:
	default:
	}
}

// answered settles the receipt a deliver_sm_resp or generic_nack answers:
// acknowledged, to deliver again, or refused for good.
func (s *smsc) answered(b *bind, h *pdu.Header) {
	b.mu.Lock()
	r, ok := b.pending[h.Seq]
	delete(b.pending, h.Seq)
	b.mu.Unlock()
	if !ok {
		return
	}
	<-s.window
	switch {
	case h.ID == pdu.DeliverSMRespID && h.Status == 0:
		s.sent.Add(1)
		s.remaining.Add(-1)
	case h.ID == pdu.DeliverSMRespID && transient(h.Status):
		s.retry <- r
	default: // refused for good (ESME_RX_P_APPN, generic_nack...)
		s.firstRefusal.CompareAndSwap(nil, fmt.Sprintf("receipt %s: command 0x%08x status 0x%08x", r.MessageID, uint32(h.ID), uint32(h.Status)))
		s.refused.Add(1)
		s.remaining.Add(-1)
	}
}

// drop closes a bind and puts its unanswered receipts back in the queue.
func (s *smsc) drop(b *bind) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	pending := b.pending
	b.pending = map[uint32]Receipt{}
	b.mu.Unlock()
	b.nc.Close()
	for _, r := range pending {
		<-s.window
		s.retry <- r
	}
}

// close unbinds every bind and stops listening.
func (s *smsc) close() {
	s.ln.Close()
	s.mu.Lock()
	binds := append([]*bind(nil), s.binds...)
	s.mu.Unlock()
	for _, b := range binds {
		_ = b.write(smpp.EncodePDU(pdu.NewUnbind(), pdu.UnbindID, 0, 0x7fffffff))
		b.nc.Close()
	}
}

func (b *bind) write(p []byte) error {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	_ = b.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := b.nc.Write(p)
	return err
}
