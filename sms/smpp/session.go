package smpp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fiorix/go-smpp/smpp/pdu"
	"github.com/fiorix/go-smpp/smpp/pdu/pdufield"
)

// errUnbound ends a session the SMSC unbound (SMPP 3.4 section 4.2).
var errUnbound = errors.New("the SMSC sent unbind")

// errStopping ends the read loop when the session is closing.
var errStopping = errors.New("session closing")

// session is one TCP connection of a bind, from bind_resp to close. One
// goroutine reads and dispatches PDUs; receipts are handled by up to
// WindowSize goroutines at once, each answering with its request's
// sequence number, so answers may leave in any order (SMPP 3.4 section
// 2.7, asynchronous windowing); writes are serialized.
type session struct {
	b  *bind
	nc net.Conn
	br *bufio.Reader

	wmu sync.Mutex // one PDU on the wire at a time
	seq atomic.Uint32

	mu      sync.Mutex
	pending map[uint32]chan frame // requests of rebond awaiting their response

	window   chan struct{} // one token per receipt being handled
	inflight sync.WaitGroup
	stopping chan struct{} // closed: read no more
	dead     chan struct{} // closed when the read loop returned
}

func newSession(b *bind, nc net.Conn) *session {
	return &session{
		b: b, nc: nc, br: bufio.NewReader(nc),
		pending:  map[uint32]chan frame{},
		window:   make(chan struct{}, b.gw.WindowSize),
		stopping: make(chan struct{}),
		dead:     make(chan struct{}),
	}
}

// nextSeq numbers rebond's requests from 1 to 0x7FFFFFFF, the range of
// SMPP 3.4 section 3.2, then wraps.
func (s *session) nextSeq() uint32 {
	for {
		if n := s.seq.Add(1) & 0x7fffffff; n != 0 {
			return n
		}
	}
}

// write sends one encoded PDU within the response timeout.
func (s *session) write(p []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.nc.SetWriteDeadline(time.Now().Add(s.b.gw.ResponseTimeout)); err != nil {
		return err
	}
	_, err := s.nc.Write(p)
	return err
}

// bind sends the bind and waits for its bind_resp (SMPP 3.4 section
// 4.1), answering an early enquire_link meanwhile. It returns the SMSC's
// system_id; a non-zero command_status is an error naming it.
func (s *session) bind(ctx context.Context) (string, error) {
	stop := context.AfterFunc(ctx, func() { _ = s.nc.SetDeadline(time.Now()) })
	defer stop()
	if err := s.nc.SetDeadline(time.Now().Add(s.b.gw.ResponseTimeout)); err != nil {
		return "", err
	}
	seq := s.nextSeq()
	if err := s.write(bindRequest(s.b.gw, seq)); err != nil {
		return "", fmt.Errorf("send bind: %w", err)
	}
	want := s.b.gw.bindID() | respBit
	for {
		f, err := readFrame(s.br)
		if err != nil {
			return "", fmt.Errorf("wait for bind_resp: %w", err)
		}
		switch {
		case f.hdr.Seq == seq && (f.hdr.ID == want || f.hdr.ID == pdu.GenericNACKID):
			if f.hdr.Status != statusOK || f.hdr.ID == pdu.GenericNACKID {
				return "", fmt.Errorf("bind refused: %s %s", commandName(f.hdr.ID), statusText(f.hdr.Status))
			}
			return systemID(f.body), s.nc.SetDeadline(time.Time{})
		case f.hdr.ID == pdu.EnquireLinkID:
			if err := s.write(response(f.hdr.ID, statusOK, f.hdr.Seq)); err != nil {
				return "", err
			}
		default:
			s.b.log.DebugContext(ctx, "smpp PDU before bind_resp ignored", "command", commandName(f.hdr.ID))
		}
	}
}

// systemID reads the system_id of a bind_resp body, "" when unreadable.
func systemID(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	f, err := pdufield.List{pdufield.SystemID}.Decode(bytes.NewBuffer(body))
	if err != nil || f[pdufield.SystemID] == nil {
		return ""
	}
	return f[pdufield.SystemID].String()
}

// serve runs a bound connection until ctx ends (then it unbinds) or the
// connection fails; either way it stops reading, lets the receipts in
// hand be answered, and returns why it ended (nil for ctx).
func (s *session) serve(ctx context.Context) error {
	// Publishing and answering outlive ctx so that a receipt read before
	// the shutdown is still published and answered; each publish is
	// bounded by the response timeout.
	hctx := context.WithoutCancel(ctx)
	fail := make(chan error, 2)
	go func() {
		defer close(s.dead)
		fail <- s.readLoop(hctx)
	}()
	pingCtx, stopPing := context.WithCancel(ctx)
	var ping sync.WaitGroup
	ping.Go(func() {
		if err := s.pingLoop(pingCtx); err != nil {
			fail <- err
		}
	})
	var err error
	select {
	case <-ctx.Done():
		stopPing()
		s.unbind(hctx)
	case err = <-fail:
		stopPing()
	}
	close(s.stopping)
	_ = s.nc.SetReadDeadline(time.Now())
	<-s.dead
	s.inflight.Wait()
	ping.Wait()
	return err
}

// unbind asks the SMSC to end the session and waits for unbind_resp.
func (s *session) unbind(ctx context.Context) {
	f, err := s.request(ctx, pdu.UnbindID)
	switch {
	case err != nil:
		s.b.log.WarnContext(ctx, "smpp unbind unanswered, closing", "err", err)
	case f.hdr.Status != statusOK:
		s.b.log.WarnContext(ctx, "smpp unbind refused, closing", "status", statusText(f.hdr.Status))
	default:
		s.b.log.InfoContext(ctx, "smpp unbound")
	}
}

// pingLoop sends enquire_link every EnquireLink interval (SMPP 3.4 section
// 4.11) and fails when one goes unanswered for the response timeout: the
// link is dead or the SMSC stuck, and binding again is the cure.
func (s *session) pingLoop(ctx context.Context) error {
	t := time.NewTicker(s.b.gw.EnquireLink)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		start := time.Now()
		f, err := s.request(ctx, pdu.EnquireLinkID)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("enquire_link: %w", err)
		}
		s.b.m.rtt.Observe(time.Since(start).Seconds())
		if f.hdr.Status != statusOK {
			// An answer, even a refusal, proves the link alive.
			s.b.log.DebugContext(ctx, "smpp enquire_link answered with an error", "status", statusText(f.hdr.Status))
		}
	}
}

// request sends a body-less request and waits for the response with its
// sequence number (or a generic_nack of it).
func (s *session) request(ctx context.Context, id pdu.ID) (frame, error) {
	seq := s.nextSeq()
	ch := make(chan frame, 1)
	s.mu.Lock()
	s.pending[seq] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.pending, seq)
		s.mu.Unlock()
	}()
	if err := s.write(request(id, seq)); err != nil {
		return frame{}, fmt.Errorf("send %s: %w", commandName(id), err)
	}
	t := time.NewTimer(s.b.gw.ResponseTimeout)
	defer t.Stop()
	select {
	case f := <-ch:
		return f, nil
	case <-t.C:
		return frame{}, fmt.Errorf("no response to %s within %s", commandName(id), s.b.gw.ResponseTimeout)
	case <-s.dead:
		return frame{}, fmt.Errorf("connection closed before the response to %s", commandName(id))
	case <-ctx.Done():
		return frame{}, ctx.Err()
	}
}

// readLoop reads and dispatches PDUs until the connection fails, the SMSC
// unbinds or the session stops. A command_length rebond cannot frame is
// answered with generic_nack ESME_RINVCMDLEN, then the connection closes:
// nothing tells where the next PDU would start.
func (s *session) readLoop(ctx context.Context) error {
	for {
		f, err := readFrame(s.br)
		if le := (*lengthError)(nil); errors.As(err, &le) {
			s.b.m.pdu(commandName(le.hdr.ID))
			_ = s.write(genericNack(statusInvCmdLen, le.hdr.Seq))
			return fmt.Errorf("read PDU: %w; closing, the stream cannot be resynchronised", err)
		}
		if err != nil {
			return fmt.Errorf("read PDU: %w", err)
		}
		s.b.m.pdu(commandName(f.hdr.ID))
		if err := s.dispatch(ctx, decide(f)); err != nil {
			return err
		}
	}
}

// dispatch carries out the decision about one PDU.
func (s *session) dispatch(ctx context.Context, a action) error {
	h := a.f.hdr
	switch a.verb {
	case doReceipt:
		select {
		case s.window <- struct{}{}:
		case <-s.stopping:
			return errStopping
		}
		s.inflight.Go(func() {
			defer func() { <-s.window }()
			status := s.b.handle(ctx, a)
			if err := s.write(response(h.ID, status, h.Seq)); err != nil {
				s.b.log.WarnContext(ctx, "smpp receipt answer not sent; the SMSC will re-deliver",
					"command", commandName(h.ID), "seq", h.Seq, "err", err)
			}
		})
	case doAnswer:
		return s.write(response(h.ID, statusOK, h.Seq))
	case doUnbind:
		_ = s.write(response(h.ID, statusOK, h.Seq))
		return errUnbound
	case doResponse:
		s.route(ctx, a.f)
	case doIgnore:
		s.b.log.DebugContext(ctx, "smpp PDU ignored", "command", commandName(h.ID))
	case doNack:
		s.b.log.WarnContext(ctx, "smpp PDU refused with generic_nack", "command_id", fmt.Sprintf("%#08x", uint32(h.ID)),
			"seq", h.Seq, "status", statusText(a.status), "err", a.err, "pdu_hex", clip(hex.EncodeToString(a.f.bytes()), 512))
		if h.ID == pdu.DeliverSMID || h.ID == pdu.DataSMID {
			// A receipt the SMSC will not send again: keep it, off the
			// read loop.
			r := s.b.newRefusal(a, a.status, a.err)
			s.inflight.Go(func() { s.b.keep(ctx, r) })
		}
		return s.write(genericNack(a.status, h.Seq))
	}
	return nil
}

// route hands a response to the request waiting for it. A generic_nack
// nobody waits for means the SMSC could not read a PDU of rebond's.
func (s *session) route(ctx context.Context, f frame) {
	s.mu.Lock()
	ch := s.pending[f.hdr.Seq]
	s.mu.Unlock()
	switch {
	case ch != nil:
		select {
		case ch <- f:
		default:
		}
	case f.hdr.ID == pdu.GenericNACKID:
		s.b.log.WarnContext(ctx, "smpp generic_nack from the SMSC", "seq", f.hdr.Seq, "status", statusText(f.hdr.Status))
	default:
		s.b.log.DebugContext(ctx, "smpp response to no request of this session", "command", commandName(f.hdr.ID), "seq", f.hdr.Seq)
	}
}
