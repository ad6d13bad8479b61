package proxy

import (
	"bufio"
	"fmt"
	"net"
	"strings"

	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/wire"
)

// connect makes the connection unless there is one: resolve, dial,
// handshake, metadata. bind keeps the resolved URI as the proxy's.
// Caller holds sem.
func (p *Proxy) connect(o *op, bind bool) error {
	if p.conn != nil {
		return nil
	}
	p.mu.Lock()
	u := p.uri
	p.mu.Unlock()
	target, err := p.resolve(o, u)
	if err != nil {
		return err
	}
	loc := location(target)
	network, addr := target.Addr()
	d := net.Dialer{Deadline: o.deadline}
	c, err := d.DialContext(o.ctx, network, addr)
	if err != nil {
		return connectErr(o, loc, err)
	}
	o.arm(c)
	raw := c // Close interrupts a call by closing this, under TLS too
	if c, err = p.secure(o, raw, target); err != nil {
		o.disarm()
		raw.Close()
		return connectErr(o, loc, err)
	}
	br := bufio.NewReader(c)
	if err := p.handshake(o, c, br, target, loc); err != nil {
		o.disarm()
		c.Close()
		return err
	}
	p.conn, p.br = c, br
	p.lastGen++
	p.gen.Store(p.lastGen)
	p.mu.Lock()
	p.live = raw
	p.connURI = target
	if bind {
		p.uri = target
	}
	needMeta := !p.set.noMetadata && !p.meta.known
	p.mu.Unlock()
	if needMeta {
		// The server left the metadata out of CONNECTOK: ask its daemon.
		v, err := p.invoke(o, DaemonObject, "get_metadata", []any{target.Object}, emptyKwargs, 0, false)
		if err != nil {
			return err
		}
		if err := p.setMetadata(v); err != nil {
			return err
		}
	}
	return nil
}

func (p *Proxy) resolve(o *op, u pyval.URI) (pyval.URI, error) {
	if u.Protocol == "PYRO" {
		return u, nil
	}
	if p.opts.Resolve == nil {
		return u, fmt.Errorf("%w: %s", ErrNoResolver, u)
	}
	r, err := p.opts.Resolve(o.ctx, u)
	if err != nil {
		return u, err
	}
	if r.Protocol != "PYRO" {
		return u, pyval.Errorf(pyval.ClassPyroError, "resolving %s gave a %s uri", u, r.Protocol)
	}
	return r, nil
}

// location is Pyro4's connect_location as printed in its errors: the
// socket path, or the (host, port) tuple's repr.
func location(u pyval.URI) string {
	if u.Sockname != "" {
		return u.Sockname
	}
	return fmt.Sprintf("('%s', %d)", u.Host, u.Port)
}

// handshake sends CONNECT and processes the reply (section 2.1 of the
// protocol notes, client side).
func (p *Proxy) handshake(o *op, c net.Conn, br *bufio.Reader, target pyval.URI, loc string) error {
	hs := p.opts.Handshake
	if hs == nil {
		hs = DefaultHandshake
	}
	data := pyval.DictOf("handshake", hs)
	var flags wire.Flags
	if !p.set.noMetadata || p.pyro5() {
		// The resolved id, so a PYRONAME proxy gets the object's metadata
		// (a Pyro5 daemon always reads it).
		data.Set("object", target.Object)
		flags = wire.FlagMetaOnConnect
	}
	payload, err := p.codec.Marshal(p.payload[:0], data, nil)
	if err != nil {
		return encodeErr(err)
	}
	p.payload = payload[:0]
	msg := wire.Message{Type: wire.MsgConnect, Flags: flags, Seq: p.seq, SerializerID: uint16(p.codec.ID()),
		Annotations: p.takeAnnotations(false), Data: payload}
	frame, err := p.appendMsg(p.frame[:0], &msg)
	if err != nil {
		return encodeErr(err)
	}
	p.frame = frame[:0]
	if _, err := c.Write(frame); err != nil {
		return handshakeErr(loc, ioErr(o, "sending", err))
	}
	reply, err := p.readMsg(br)
	if err != nil {
		return handshakeErr(loc, ioErr(o, "receiving", err))
	}
	if reply.Type != wire.MsgConnectOK && reply.Type != wire.MsgConnectFail {
		return pyval.Errorf(pyval.ClassProtocolError, "cannot connect to %s: invalid msg type %d received", loc, reply.Type)
	}
	var resp any = "?"
	if len(reply.Data) > 0 {
		codec, err := p.replyCodec(int(reply.SerializerID))
		if err != nil {
			return handshakeErr(loc, pyval.Errorf(pyval.ClassSerializeError, "invalid serializer in response: %d", reply.SerializerID))
		}
		if resp, err = codec.Unmarshal(reply.Data); err != nil {
			return handshakeErr(loc, decodeErr(err))
		}
	}
	if reply.Type == wire.MsgConnectFail {
		return pyval.Errorf(pyval.ClassCommunicationError, "connection to %s rejected: %s", loc, pyStr(resp))
	}
	if reply.Flags&wire.FlagMetaOnConnect != 0 {
		d, ok := resp.(*pyval.Dict)
		if !ok {
			return pyval.Errorf(pyval.ClassProtocolError, "cannot connect to %s: invalid handshake response %s", loc, pyval.TypeName(resp))
		}
		meta, _ := d.Get("meta")
		if err := p.setMetadata(meta); err != nil {
			return err
		}
		resp, _ = d.Get("handshake")
	}
	if p.opts.ValidateHandshake != nil {
		if err := p.opts.ValidateHandshake(resp); err != nil {
			return err
		}
	}
	return nil
}

// setMetadata stores a metadata dict ("methods", "oneway", "attrs"; lists,
// tuples or sets). Like Pyro4 it refuses an object that exposes nothing.
func (p *Proxy) setMetadata(v any) error {
	d, ok := v.(*pyval.Dict)
	if !ok {
		return pyval.Errorf(pyval.ClassProtocolError, "invalid metadata: %s", pyval.TypeName(v))
	}
	get := func(key string) []string {
		x, _ := d.Get(key)
		return strElems(x)
	}
	var m metadata
	m.set(get("methods"), get("oneway"), get("attrs"))
	p.mu.Lock()
	p.meta = m
	p.mu.Unlock()
	if !m.known {
		return pyval.NewException(pyval.ClassPyroError, "remote object doesn't expose any methods or attributes. Did you forget setting @expose on them?")
	}
	return nil
}

// strElems returns the str elements of a list, tuple or set.
func strElems(v any) []string {
	var elems []any
	switch x := v.(type) {
	case []any:
		elems = x
	case pyval.Tuple:
		elems = x
	case pyval.Set:
		elems = x
	}
	out := make([]string, 0, len(elems))
	for _, e := range elems {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// pyStr formats a decoded value roughly as Python's str() would, for
// messages built from remote values.
func pyStr(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return strings.ToValidUTF8(string(x), "\uFFFD")
	case nil:
		return "None"
	}
	return fmt.Sprint(v)
}
