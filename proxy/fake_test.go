package proxy_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"

	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// fakeServer is a minimal in-process Pyro4 daemon on 127.0.0.1 with one
// object, "fake", whose methods exercise the proxy's edge cases:
//
//	echo(x)   returns x
//	seq()     returns the request's sequence number
//	boom()    raises ValueError with a traceback
//	hang()    never answers (signals on hung first)
//	wait(x)   returns x once the test sends on release (signals on hung
//	          first); the connection's later requests wait behind it
//	later(x)  returns x, but after the reply to the next request (signals
//	          on hung)
//	drop()    closes the connection instead of answering
//	dropOnce  drops the first time it is called, then returns "ok"
//	badseq()  answers with the wrong sequence number
//	badser()  answers in another serializer
//	badtype() answers with a PING instead of a RESULT
//	commfail() raises ConnectionClosedError (a CommunicationError) and
//	          holds back a later() reply for good
//	gen()     starts a stream of "a", "b", "c"
//	ow(x)     listed as oneway in the metadata
//	value     an attribute
//
// The daemon object (Pyro.Daemon) answers get_metadata,
// get_next_stream_item and close_stream.
type fakeServer struct {
	ln   net.Listener
	opts wire.Options

	// Behaviour knobs, set before the first connection.
	meta        *pyval.Dict // nil: the default metadata
	metaInReply bool        // put the metadata in CONNECTOK when asked
	rejectWith  string      // non-empty: CONNECTFAIL with this reason
	noRecord    bool        // do not keep INVOKE messages (benchmarks)
	silent      bool        // never answer the CONNECT

	hung     chan struct{} // a hang() or wait() call arrived
	release  chan struct{} // lets a wait() call answer
	quit     chan struct{} // closed by Close: wait() calls give up
	quitOnce sync.Once
	oneways  chan string  // methods of oneway requests, in order
	accepted atomic.Int32 // connections accepted
	dropped  atomic.Bool  // dropOnce has dropped

	mu       sync.Mutex
	conns    map[net.Conn]bool
	connects []*wire.Message // CONNECT messages, in order
	invokes  []*wire.Message // INVOKE messages, in order
	closed   []string        // stream ids passed to close_stream
	streams  map[string][]string
	value    any
	held     []byte // the encoded reply of a later() call
	wg       sync.WaitGroup
}

func defaultMeta() *pyval.Dict {
	return pyval.DictOf(
		"methods", []any{"echo", "seq", "boom", "hang", "wait", "later", "drop", "dropOnce", "badseq", "badser", "badtype", "commfail", "gen", "ow"},
		"oneway", []any{"ow"},
		"attrs", []any{"value"})
}

// startFake starts a fake server; Close stops it.
func startFake(setup ...func(*fakeServer)) (*fakeServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &fakeServer{ln: ln, metaInReply: true, hung: make(chan struct{}, 16), release: make(chan struct{}), quit: make(chan struct{}), oneways: make(chan string, 16),
		conns: map[net.Conn]bool{}, streams: map[string][]string{}, value: int64(7)}
	for _, s := range setup {
		s(f)
	}
	if f.meta == nil {
		f.meta = defaultMeta()
	}
	f.wg.Add(1)
	go f.serve()
	return f, nil
}

func (f *fakeServer) URI() string {
	return fmt.Sprintf("PYRO:fake@%s", f.ln.Addr())
}

func (f *fakeServer) Close() {
	f.quitOnce.Do(func() { close(f.quit) })
	f.ln.Close()
	f.mu.Lock()
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

func (f *fakeServer) Invokes() []*wire.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*wire.Message(nil), f.invokes...)
}

func (f *fakeServer) Connects() []*wire.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*wire.Message(nil), f.connects...)
}

func (f *fakeServer) ClosedStreams() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.closed...)
}

func (f *fakeServer) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.accepted.Add(1)
		f.mu.Lock()
		f.conns[c] = true
		f.mu.Unlock()
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer func() {
				f.mu.Lock()
				delete(f.conns, c)
				f.mu.Unlock()
				c.Close()
			}()
			f.handle(c)
		}()
	}
}

func (f *fakeServer) send(c net.Conn, m *wire.Message) error {
	b, err := wire.Append(nil, m, &f.opts)
	if err != nil {
		return err
	}
	_, err = c.Write(b)
	return err
}

// handle runs one connection: the handshake, then requests until EOF.
func (f *fakeServer) handle(c net.Conn) {
	br := bufio.NewReader(c)
	m, err := wire.ReadMessage(br, &f.opts)
	if err != nil || m.Type != wire.MsgConnect {
		return
	}
	f.mu.Lock()
	f.connects = append(f.connects, m)
	f.mu.Unlock()
	if f.silent {
		_, _ = io.Copy(io.Discard, c)
		return
	}
	codec, err := serial.ByID(int(m.SerializerID))
	if err != nil {
		return
	}
	reply := &wire.Message{Type: wire.MsgConnectOK, Seq: m.Seq, SerializerID: m.SerializerID}
	var resp any = "hello"
	if f.rejectWith != "" {
		reply.Type, resp = wire.MsgConnectFail, f.rejectWith
	} else if m.Flags&wire.FlagMetaOnConnect != 0 && f.metaInReply {
		reply.Flags = wire.FlagMetaOnConnect
		resp = pyval.DictOf("handshake", "hello", "meta", f.meta)
	}
	if reply.Data, err = codec.Marshal(nil, resp, nil); err != nil || f.send(c, reply) != nil || f.rejectWith != "" {
		return
	}
	for {
		m, err := wire.ReadMessage(br, &f.opts)
		if err != nil {
			return
		}
		if !f.noRecord {
			f.mu.Lock()
			f.invokes = append(f.invokes, m)
			f.mu.Unlock()
		}
		if !f.invoke(c, m) {
			return
		}
	}
}

// invoke answers one request; false closes the connection.
func (f *fakeServer) invoke(c net.Conn, m *wire.Message) bool {
	codec, err := serial.ByID(int(m.SerializerID))
	if err != nil {
		return false
	}
	var call serial.Call
	if err := codec.UnmarshalCall(m.Data, &call); err != nil {
		return false
	}
	if m.Flags&wire.FlagOneway != 0 {
		if call.Method == "close_stream" {
			id, _ := call.Args[0].(string)
			f.mu.Lock()
			f.closed = append(f.closed, id)
			delete(f.streams, id)
			f.mu.Unlock()
		}
		f.oneways <- call.Method
		return true
	}
	reply := &wire.Message{Type: wire.MsgResult, Seq: m.Seq, SerializerID: m.SerializerID}
	// Echo the request's annotations back, like a daemon returning CORR.
	for _, a := range m.Annotations {
		if a.Key != "HMAC" {
			reply.SetAnnotation(a.Key, a.Value)
		}
	}
	var result any
	arg := func(i int) any {
		if i < len(call.Args) {
			return call.Args[i]
		}
		return nil
	}
	switch call.Method {
	case "echo":
		result = arg(0)
	case "seq":
		result = int64(m.Seq)
	case "boom":
		reply.Flags = wire.FlagException
		result = boom()
	case "hang":
		f.hung <- struct{}{}
		// Answer nothing; wait for the client to go away.
		_, err := io.Copy(io.Discard, c)
		_ = err
		return false
	case "wait":
		f.hung <- struct{}{}
		select {
		case <-f.release:
		case <-f.quit:
			return false
		}
		result = arg(0)
	case "later":
		f.hung <- struct{}{}
		result = arg(0)
	case "drop":
		return false
	case "dropOnce":
		if f.dropped.CompareAndSwap(false, true) {
			return false
		}
		result = "ok"
	case "badseq":
		reply.Seq++
		result = "late"
	case "badser":
		reply.SerializerID = serial.IDJSON
		if m.SerializerID == serial.IDJSON {
			reply.SerializerID = serial.IDSerpent
		}
		codec, _ = serial.ByID(int(reply.SerializerID))
		result = "other"
	case "badtype":
		reply.Type = wire.MsgPing
		result = "pong"
	case "commfail":
		reply.Flags = wire.FlagException
		result = pyval.NewException(pyval.ClassConnectionClosedError, "remote-side failure")
	case "gen":
		reply.Flags = wire.FlagException | wire.FlagItemStreamResult
		reply.Annotations = nil
		reply.SetAnnotation("STRM", []byte("stream-1"))
		f.mu.Lock()
		f.streams["stream-1"] = []string{"a", "b", "c"}
		f.mu.Unlock()
		exc := pyval.NewException("ProtocolError", "result of call is an iterator")
		exc.SetAttr("_pyroTraceback", nil)
		result = exc
	case "__getattr__":
		f.mu.Lock()
		result = f.value
		f.mu.Unlock()
	case "__setattr__":
		f.mu.Lock()
		f.value = arg(1)
		f.mu.Unlock()
	case "<batch>":
		reply.Flags = wire.FlagBatch
		var out []any
		for _, e := range call.Args {
			entry, _ := asSlice(e)
			name, _ := entry[0].(string)
			args, _ := asSlice(entry[1])
			if name == "boom" {
				out = append(out, pyval.ExceptionWrapper{Exception: boom()})
				break
			}
			out = append(out, args[0])
		}
		result = out
	case "get_metadata":
		result = f.meta
	case "get_next_stream_item":
		id, _ := arg(0).(string)
		f.mu.Lock()
		items, ok := f.streams[id]
		switch {
		case !ok:
			reply.Flags = wire.FlagException
			result = pyval.NewException("PyroError", "item stream terminated")
		case len(items) == 0:
			delete(f.streams, id)
			reply.Flags = wire.FlagException
			result = pyval.NewException("StopIteration")
		default:
			result, f.streams[id] = items[0], items[1:]
		}
		f.mu.Unlock()
	default:
		reply.Flags = wire.FlagException
		result = pyval.Errorf("AttributeError", "remote object has no method %s", call.Method)
	}
	if reply.Data, err = codec.Marshal(nil, result, nil); err != nil {
		return false
	}
	if call.Method == "later" {
		b, err := wire.Append(nil, reply, &f.opts)
		f.mu.Lock()
		f.held = b
		f.mu.Unlock()
		return err == nil
	}
	if f.send(c, reply) != nil {
		return false
	}
	if call.Method == "commfail" {
		return true
	}
	f.mu.Lock()
	held := f.held
	f.held = nil
	f.mu.Unlock()
	if held != nil {
		_, err = c.Write(held)
	}
	return err == nil
}

func boom() *pyval.Exception {
	exc := pyval.NewException("ValueError", "boom")
	exc.SetAttr("_pyroTraceback", []any{"Traceback (most recent call last):\n", "ValueError: boom\n"})
	return exc
}

func asSlice(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case pyval.Tuple:
		return x, true
	}
	return nil, false
}
