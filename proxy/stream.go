package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"sync"

	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/wire"
)

// Stream is the result of a remote method that returns an iterator or
// generator (Pyro4's item streaming). Items are pulled one request at a
// time over the proxy's connection. A Stream is safe for concurrent use.
type Stream struct {
	p  *Proxy
	id string

	mu   sync.Mutex
	done bool
}

// Stream calls method and returns the stream it produces; a method that
// returns a plain value is an error wrapping ErrNotStream. Call on such a
// method returns the same *Stream as its value.
func (p *Proxy) Stream(ctx context.Context, method string, args ...any) (*Stream, error) {
	v, err := p.Call(ctx, method, args...)
	if err != nil {
		return nil, err
	}
	s, ok := v.(*Stream)
	if !ok {
		return nil, &misuse{
			err: fmt.Errorf("%w: %s returned a %s", ErrNotStream, method, pyval.TypeName(v)),
			exc: pyval.Errorf(pyval.ClassTypeError, "%s returned a %s, not a stream", method, pyval.TypeName(v)),
		}
	}
	return s, nil
}

// ID returns the server's stream id.
func (s *Stream) ID() string { return s.id }

// Next returns the next item, or io.EOF after the last one (the remote
// StopIteration). A remote exception from the iterator is returned as
// *pyval.Exception; the server then drops the stream, so a further Next
// gets PyroError "item stream terminated".
//
// As in Pyro4, Next fails with ConnectionClosedError while the proxy is not
// connected, and does not connect by itself. Once another call has
// reconnected the proxy, Next goes on over the new connection: a Pyro4
// daemon keeps a disconnected client's streams for ITER_STREAM_LINGER (30
// s) for any connection to pick up.
func (s *Stream) Next(ctx context.Context) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil, io.EOF
	}
	p := s.p
	if p.opts.Pipeline {
		return s.nextPiped(ctx)
	}
	o, err := p.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer p.end()
	if p.conn == nil {
		return nil, pyval.NewException(pyval.ClassConnectionClosedError, "the proxy for this stream result has been closed")
	}
	v, err := p.invoke(o, DaemonObject, "get_next_stream_item", []any{s.id}, emptyKwargs, 0, true)
	if err != nil {
		if errors.Is(err, pyval.ErrStopIteration) {
			// The server has already dropped its end: nothing to close.
			s.done = true
			return nil, io.EOF
		}
		return nil, err
	}
	return v, nil
}

// All iterates over the remaining items. It stops after the last item or
// at the first error, which it yields; a loop that stops early closes the
// stream.
func (s *Stream) All(ctx context.Context) iter.Seq2[any, error] {
	return func(yield func(any, error) bool) {
		for {
			v, err := s.Next(ctx)
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(v, nil) {
				s.Close(ctx)
				return
			}
		}
	}
}

// Close abandons the stream: it calls the daemon's close_stream oneway so
// the server frees the iterator. As in Pyro4, that uses the proxy's own
// connection when it is free, a temporary second connection when a call is
// in progress on it, and nothing at all when the stream is exhausted or the
// proxy's connection is gone (the server then drops the stream itself).
// ctx bounds the sending, and the connecting of a temporary connection.
func (s *Stream) Close(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil
	}
	s.done = true
	if ctx == nil {
		ctx = context.Background()
	}
	if ctx.Err() != nil {
		// Sending now would only break the proxy's connection; the server
		// drops the stream by itself in time.
		return ctxErr(ctx, "closing the stream")
	}
	p := s.p
	if p.opts.Pipeline {
		if pp := p.livePipe(); pp != nil {
			_, err := p.pipeInvoke(ctx, pp, DaemonObject, "close_stream", []any{s.id}, emptyKwargs, wire.FlagOneway, false, nil)
			return err
		}
		return nil
	}
	if p.gen.Load() == 0 {
		return nil // not connected
	}
	select {
	case p.sem <- struct{}{}:
		o := &p.op
		o.reset(ctx, p.set.timeout)
		defer p.end()
		if p.conn == nil {
			return nil
		}
		o.arm(p.conn)
		_, err := p.invoke(o, DaemonObject, "close_stream", []any{s.id}, emptyKwargs, wire.FlagOneway, false)
		return err
	default:
	}
	p.mu.Lock()
	meta := p.meta
	p.mu.Unlock()
	tmp, err := newProxy(p.connectedURI(), p.opts, p.set)
	if err != nil {
		return err
	}
	tmp.meta = meta
	defer tmp.Close()
	o, err := tmp.begin(ctx)
	if err != nil {
		return err
	}
	defer tmp.end()
	_, err = tmp.invoke(o, DaemonObject, "close_stream", []any{s.id}, emptyKwargs, wire.FlagOneway, false)
	if errors.Is(err, pyval.ErrCommunication) {
		return nil // as Pyro4: the server drops the stream in time anyway
	}
	return err
}

// nextPiped is Next for a pipelining proxy. s.mu is held.
func (s *Stream) nextPiped(ctx context.Context) (any, error) {
	p := s.p
	pp := p.livePipe()
	if pp == nil {
		return nil, pyval.NewException(pyval.ClassConnectionClosedError, "the proxy for this stream result has been closed")
	}
	v, err := p.pipeInvoke(ctx, pp, DaemonObject, "get_next_stream_item", []any{s.id}, emptyKwargs, 0, true, nil)
	if errors.Is(err, pyval.ErrStopIteration) {
		s.done = true
		return nil, io.EOF
	}
	return v, err
}
