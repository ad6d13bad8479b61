package proxy

import (
	"bufio"
	"errors"
	"fmt"

	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// A proxy speaks Pyro4 (protocol 48) unless Options.Protocol is wire.Pyro5
// (502). The calls are the same; only the framing, the serializer ids and
// the class names differ, so the proxy builds and reads messages in
// Pyro4's terms and appendMsg and readMsg translate for Pyro5: the flags
// that moved, the correlation id (Pyro4's CORR annotation, Pyro5's header
// field) and metadata, which Pyro5 always sends in CONNECTOK.

// ErrProtocol is returned by New and FromRef for an Options.Protocol that
// is neither Pyro4's nor Pyro5's, or for Pyro5 with an HMAC key (protocol
// 502 has no HMAC).
var ErrProtocol = errors.New("proxy: unsupported protocol")

func (p *Proxy) pyro5() bool { return p.opts.Protocol == wire.Pyro5 }

// codecFor returns the codec called name, with the ids and class names of
// the protocol generation.
// Pickle is returned only with allowPickle (Options.AllowPickle), and only
// for Pyro4: Pyro5 has no pickle serializer.
func codecFor(name string, protocol int, allowPickle bool) (serial.Codec, error) {
	if name == serial.Pickle.Name() && allowPickle && protocol != wire.Pyro5 {
		return serial.Pickle, nil
	}
	c, err := serial.ByName(name)
	if err != nil || protocol != wire.Pyro5 {
		return c, err
	}
	id5, ok := serial.ID4To5(c.ID())
	if !ok {
		return nil, fmt.Errorf("%w: Pyro5 has no %s serializer", serial.ErrUnknown, name)
	}
	return serial.ByID5(id5)
}

// checkProtocol validates Options.Protocol.
func checkProtocol(opts *Options) error {
	switch opts.Protocol {
	case 0, wire.Pyro4:
		return nil
	case wire.Pyro5:
		if len(opts.HMACKey) > 0 {
			return fmt.Errorf("%w: %w", ErrProtocol, wire.ErrNoHMAC5)
		}
		return nil
	}
	return fmt.Errorf("%w %d", ErrProtocol, opts.Protocol)
}

// replyCodec returns the codec of a reply's serializer id.
func (p *Proxy) replyCodec(id int) (serial.Codec, error) {
	if p.pyro5() {
		return serial.ByID5(id)
	}
	if id == serial.IDPickle && p.codec.ID() == serial.IDPickle {
		return serial.Pickle, nil
	}
	return serial.ByID(id)
}

// appendMsg frames m (in Pyro4's terms) for the proxy's protocol.
func (p *Proxy) appendMsg(dst []byte, m *wire.Message) ([]byte, error) {
	if !p.pyro5() {
		return wire.Append(dst, m, &p.wopts)
	}
	m5 := wire.Message5{Type: m.Type, Flags: m.Flags.To5(), Seq: m.Seq, SerializerID: uint8(m.SerializerID), Data: m.Data}
	for _, a := range m.Annotations {
		if a.Key == "CORR" && len(a.Value) == 16 {
			copy(m5.CorrID[:], a.Value)
			m5.Flags |= wire.Flag5CorrID
			continue
		}
		m5.Annotations = append(m5.Annotations, a)
	}
	return wire.Append5(dst, &m5, &p.wopts)
}

// readMsg reads one reply and returns it in Pyro4's terms: a Pyro5
// CONNECTOK carries metadata (FlagMetaOnConnect), and the correlation id
// becomes the CORR annotation, as a Pyro4 server sends it.
func (p *Proxy) readMsg(br *bufio.Reader) (*wire.Message, error) {
	if !p.pyro5() {
		return wire.ReadMessage(br, &p.wopts)
	}
	m5, err := wire.ReadMessage5(br, &p.wopts)
	if err != nil {
		return nil, err
	}
	m := &wire.Message{Type: m5.Type, Flags: m5.Flags.To4(), Seq: m5.Seq, SerializerID: uint16(m5.SerializerID),
		Annotations: m5.Annotations, Data: m5.Data}
	if m.Type == wire.MsgConnectOK {
		m.Flags |= wire.FlagMetaOnConnect
	}
	if m5.Flags&wire.Flag5CorrID != 0 {
		m.Annotations = append(m.Annotations, wire.Annotation{Key: "CORR", Value: m5.CorrID[:]})
	}
	return m, nil
}
