package engine

import (
	"bufio"
	"net"

	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// Pyro5 clients (protocol 502) on the same port as Pyro4's.
//
// Process tells the generation from a connection's first six bytes. A
// Pyro5 frame is parsed with wire.Parse5Into and translated into the
// Pyro4 form the session already handles: the flags that moved get their
// Pyro4 bits, a CONNECT asks for metadata (Pyro5 always sends it), and the
// header's correlation id becomes the session's. The serializer id stays
// in Pyro5's numbering; codecByID and accepts read it per generation, so
// every reply carries the request's own id. Replies go back through
// appendFrame5, which undoes the flag translation and frames with
// wire.Append5. Handshake, calls, attributes, batches, streams, oneway
// calls and PING thus share one implementation for both generations; only
// class names differ, which Pyro5's codecs (serial.ByID5) handle.

// parse5 parses the protocol 502 frame at the front of b into s.msg5 and
// translates it into s.msg. It returns wire.Parse5Into's results.
func (s *Session) parse5(b []byte) (int, error) {
	m5 := &s.msg5
	k, err := wire.Parse5Into(m5, b, &s.c.wopts)
	if err != nil || k == 0 {
		return k, err
	}
	flags := m5.Flags.To4()
	if m5.Type == wire.MsgConnect {
		flags |= wire.FlagMetaOnConnect
	}
	if m5.Flags&wire.Flag5CorrID != 0 {
		s.corr = m5.CorrID
	} else {
		s.newCorrelation() // as Pyro5's daemon does
	}
	s.msg = wire.Message{
		Type:         m5.Type,
		Flags:        flags,
		Seq:          m5.Seq,
		SerializerID: uint16(m5.SerializerID),
		Annotations:  m5.Annotations,
		Data:         m5.Data,
	}
	return k, nil
}

// appendFrame5 is appendFrame for a Pyro5 client: every reply carries the
// request's correlation id, as Pyro5's daemon sends it.
func (s *Session) appendFrame5(t wire.MsgType, flags wire.Flags, seq, sid uint16, data []byte, extra []wire.Annotation, opts *wire.Options) {
	if len(opts.HMACKey) > 0 {
		// Only the CONNECTFAIL that refuses the Pyro5 client gets here
		// (wire.ErrNoHMAC5): protocol 502 frames carry no HMAC.
		o := *opts
		o.HMACKey = nil
		opts = &o
	}
	msg := wire.Message5{Type: t, Flags: flags.To5() | wire.Flag5CorrID, Seq: seq, SerializerID: uint8(sid),
		CorrID: s.corr, Annotations: extra, Data: data}
	out, err := wire.Append5(s.out, &msg, opts)
	if err != nil {
		s.c.log.Debug("reply not sent", "error", err)
		s.broken = true
		return
	}
	s.out = out
}

// codecByID returns the codec for a serializer id of the connection's
// generation: for Pyro5 clients, serial.ByID5's, which report Pyro5's ids
// and carry Pyro5's class names both ways.
func (s *Session) codecByID(sid int) (serial.Codec, error) {
	if s.gen == wire.Pyro5 {
		return serial.ByID5(sid)
	}
	return s.c.codec4(sid)
}

// codec4 returns the codec of a Pyro4 serializer id: serial.ByID's, and
// pickle when the daemon accepts it (Options.AllowPickle).
func (c *Core) codec4(sid int) (serial.Codec, error) {
	if sid == serial.IDPickle && c.accepted.Has(sid) {
		return serial.Pickle, nil
	}
	return serial.ByID(sid)
}

// replacer returns the autoproxy Replacer for the connection's generation:
// for Pyro5 the daemon's, with what it substitutes in Pyro5's names
// (serial.ForPyro5Replacer), made once per connection.
func (s *Session) replacer() serial.Replacer {
	if s.gen != wire.Pyro5 || s.c.replacer == nil {
		return s.c.replacer
	}
	if s.repl5 == nil {
		s.repl5 = serial.ForPyro5Replacer(s.c.replacer)
	}
	return s.repl5
}

// accepts reports whether the daemon accepts a serializer id of the
// connection's generation. Pyro5 has no SERIALIZERS_ACCEPTED: its daemon
// takes all four of its serializers, which are all safe. gyro applies
// SERIALIZERS_ACCEPTED to both generations, except that with Pyro4's
// default setting (which leaves msgpack out) a Pyro5 client may also use
// msgpack, as with Pyro5's own daemon.
func (s *Session) accepts(sid int) bool {
	if s.gen != wire.Pyro5 {
		return s.c.accepted.Has(sid)
	}
	id4, ok := serial.ID5To4(sid)
	if !ok {
		return false
	}
	if id4 == serial.IDMsgpack && s.c.accepted == serial.DefaultAccepted {
		return true
	}
	return s.c.accepted.Has(id4)
}

// refuse reads the CONNECT of a client refused before its session starts
// and returns the CONNECTFAIL for it, in the client's generation, with the
// message's seq when it could be read.
func (c *Core) refuse(nc net.Conn, reason string) []byte {
	s := c.NewSession(nc.RemoteAddr(), nil)
	br := bufio.NewReaderSize(nc, wire.HeaderSize5)
	var seq uint16
	if b, err := br.Peek(wire.DetectSize); err == nil {
		if gen, _ := wire.DetectProtocol(b); gen == wire.Pyro5 {
			s.gen = gen
			if m, err := wire.ReadMessage5(br, &c.wopts); err == nil && m.Type == wire.MsgConnect {
				seq = m.Seq
			}
			return s.refusal(seq, reason)
		}
	}
	if m, err := wire.ReadMessage(br, &c.wopts); err == nil && m.Type == wire.MsgConnect {
		seq = m.Seq
	}
	return s.refusal(seq, reason)
}
