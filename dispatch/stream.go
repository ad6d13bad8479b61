package dispatch

import (
	"io"
	"iter"
	"reflect"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gyro-rpc/gyro/pyval"
)

// Iterator is a pull-style stream a method may return. Next returns the
// next item and true, or false at the end. If the iterator also has an
// Err() error method, a non-nil Err at the end is raised to the client
// instead of StopIteration; if it is an io.Closer it is closed when the
// stream ends or is dropped.
//
// Besides Iterator, a method streams when it returns an iter.Seq[T] (any
// func(yield func(T) bool)), which is pulled with iter.Pull and stopped
// when dropped, or a receive-able channel, which ends when it is closed.
// A stream that is dropped while a pull waits on its channel ends that
// pull; a channel's producer is not told, so prefer iter.Seq when the
// producer must clean up.
type Iterator interface {
	Next() (any, bool)
}

// StreamStarted is the result of a call that returned a stream: the engine
// replies with Pyro4's stream-start message. ID is the stream id for
// NextStreamItem, or "" when Options.IterStreaming is off (the stream was
// discarded, and the client is told the server does not stream).
type StreamStarted struct{ ID string }

// stream is one item stream, stored under a uuid4 id.
type stream struct {
	id       string
	owner    *Conn     // nil once its connection closed (lingering)
	created  time.Time // lifetime counts from here
	orphaned time.Time // when the owner closed; zero while owned

	next    func(done <-chan struct{}) (any, bool, error)
	stop    func()
	cleanup func() // releases a per-call instance, or nil

	done    chan struct{} // closed when the stream is dropped
	closed  atomic.Bool
	pullMu  sync.Mutex // one pull at a time (iter.Pull demands it)
	stopped bool       // under pullMu
}

// isStreamType reports whether values of t are streams.
func isStreamType(t reflect.Type) bool {
	if t == nil {
		return false
	}
	if t.Kind() != reflect.Interface && t.Implements(iteratorType) {
		return true
	}
	switch t.Kind() {
	case reflect.Chan:
		return t.ChanDir()&reflect.RecvDir != 0
	case reflect.Func:
		// func(yield func(T) bool), the shape of iter.Seq[T].
		if t.NumIn() != 1 || t.NumOut() != 0 || t.IsVariadic() {
			return false
		}
		y := t.In(0)
		return y.Kind() == reflect.Func && y.NumIn() == 1 && y.NumOut() == 1 && y.Out(0).Kind() == reflect.Bool && !y.IsVariadic()
	}
	return false
}

var iteratorType = reflect.TypeFor[Iterator]()

// isStreamValue checks a result whose static type is an interface.
func isStreamValue(v any) bool {
	switch v.(type) {
	case nil, string, int64, float64, bool, []byte, []any, pyval.Tuple, *pyval.Dict, pyval.Set:
		return false
	case Iterator:
		return true
	}
	return isStreamType(reflect.TypeOf(v))
}

// isNil reports a nil stream value (a nil channel, func or pointer), which
// is returned as None rather than streamed.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Chan, reflect.Func, reflect.Pointer, reflect.Map, reflect.Interface, reflect.Slice:
		return rv.IsNil()
	}
	return false
}

// newStream wraps a stream value. Nothing is pulled yet.
func newStream(v any, cleanup func()) *stream {
	s := &stream{done: make(chan struct{}), cleanup: cleanup, stop: func() {}}
	switch x := v.(type) {
	case Iterator:
		s.next = func(<-chan struct{}) (any, bool, error) {
			item, ok := x.Next()
			if !ok {
				if e, hasErr := x.(interface{ Err() error }); hasErr {
					if err := e.Err(); err != nil {
						return nil, false, err
					}
				}
			}
			return item, ok, nil
		}
		if c, ok := x.(io.Closer); ok {
			s.stop = func() { _ = c.Close() }
		}
	case iter.Seq[any]:
		s.pullSeq(x)
	case func(func(any) bool):
		s.pullSeq(x)
	case chan any:
		s.next = recvAny(x)
	case <-chan any:
		s.next = recvAny(x)
	default:
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Chan {
			s.next = func(done <-chan struct{}) (any, bool, error) {
				chosen, item, ok := reflect.Select([]reflect.SelectCase{
					{Dir: reflect.SelectRecv, Chan: rv},
					{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(done)},
				})
				if chosen == 1 {
					return nil, false, errTerminated()
				}
				if !ok {
					return nil, false, nil
				}
				return item.Interface(), true, nil
			}
			break
		}
		next, stop := iter.Pull(rv.Seq())
		s.stop = stop
		s.next = func(<-chan struct{}) (any, bool, error) {
			item, ok := next()
			if !ok {
				return nil, false, nil
			}
			return item.Interface(), true, nil
		}
	}
	return s
}

func (s *stream) pullSeq(seq iter.Seq[any]) {
	next, stop := iter.Pull(seq)
	s.stop = stop
	s.next = func(<-chan struct{}) (any, bool, error) {
		item, ok := next()
		return item, ok, nil
	}
}

func recvAny(c <-chan any) func(done <-chan struct{}) (any, bool, error) {
	return func(done <-chan struct{}) (any, bool, error) {
		select {
		case item, ok := <-c:
			return item, ok, nil
		case <-done:
			return nil, false, errTerminated()
		}
	}
}

// discardStream releases a stream value that will never be pulled.
func discardStream(v any, cleanup func()) {
	if c, ok := v.(io.Closer); ok {
		_ = c.Close()
	}
	if cleanup != nil {
		cleanup()
	}
}

// pull takes the next item; panics in the producer become exceptions.
func (s *stream) pull(r *Registry) (item any, ok bool, err error) {
	s.pullMu.Lock()
	defer s.stopIfClosed()
	defer s.pullMu.Unlock()
	if s.closed.Load() {
		return nil, false, errTerminated()
	}
	defer func() {
		if p := recover(); p != nil {
			item, ok, err = nil, false, r.raisePanic(p, debug.Stack(), nil)
		}
	}()
	return s.next(s.done)
}

// close drops the stream: pending channel pulls end, and the producer is
// stopped now or, if a pull is running, by that pull when it returns.
func (s *stream) close() {
	if s.closed.CompareAndSwap(false, true) {
		close(s.done)
	}
	s.stopIfClosed()
}

func (s *stream) stopIfClosed() {
	if !s.closed.Load() || !s.pullMu.TryLock() {
		return
	}
	defer s.pullMu.Unlock()
	if s.stopped {
		return
	}
	s.stopped = true
	s.stop()
	if s.cleanup != nil {
		s.cleanup()
	}
}

func errTerminated() *pyval.Exception {
	return pyval.NewException(pyval.ClassPyroError, "item stream terminated")
}

func stopIteration() *pyval.Exception {
	return &pyval.Exception{Class: pyval.ClassStopIteration, Args: pyval.Tuple{}}
}

// startStream stores a stream owned by conn and returns its id.
func (r *Registry) startStream(conn *Conn, v any, cleanup func()) string {
	s := newStream(v, cleanup)
	s.id = uuid4String()
	s.owner = conn
	s.created = r.now()
	r.smu.Lock()
	r.streams[s.id] = s
	r.smu.Unlock()
	return s.id
}

// NextStreamItem returns the next item of stream id for a call on conn
// (Pyro.Daemon's get_next_stream_item). Any connection may pull any
// stream, and a lingering stream is adopted by conn. At the end it returns
// StopIteration and drops the stream; an error also drops it; an unknown
// id is PyroError("item stream terminated"). Errors are *pyval.Exception
// with a traceback.
func (r *Registry) NextStreamItem(conn *Conn, id string) (any, error) {
	r.smu.Lock()
	s := r.streams[id]
	if s != nil && s.owner == nil {
		s.owner, s.orphaned = conn, time.Time{}
	}
	r.smu.Unlock()
	if s == nil {
		return nil, r.raise(errTerminated(), nil)
	}
	item, ok, err := s.pull(r)
	if err == nil && ok {
		return item, nil
	}
	r.removeStream(s)
	s.close()
	if err != nil {
		return nil, r.raise(err, nil)
	}
	return nil, r.raise(stopIteration(), nil)
}

func (r *Registry) removeStream(s *stream) {
	r.smu.Lock()
	if r.streams[s.id] == s {
		delete(r.streams, s.id)
	}
	r.smu.Unlock()
}

// CloseStream drops stream id (Pyro.Daemon's close_stream); unknown ids
// are ignored.
func (r *Registry) CloseStream(id string) {
	r.smu.Lock()
	s := r.streams[id]
	delete(r.streams, id)
	r.smu.Unlock()
	if s != nil {
		s.close()
	}
}

// StreamCount returns the number of open streams.
func (r *Registry) StreamCount() int {
	r.smu.Lock()
	defer r.smu.Unlock()
	return len(r.streams)
}

// Housekeep drops the streams older than Options.StreamLifetime (counted
// from creation) and lingering streams whose connection closed more than
// Options.StreamLinger ago. The engine calls it periodically.
func (r *Registry) Housekeep(now time.Time) {
	life, linger := r.opts.StreamLifetime, r.opts.StreamLinger
	var drop []*stream
	r.smu.Lock()
	for id, s := range r.streams {
		expired := life > 0 && now.Sub(s.created) > life
		abandoned := linger > 0 && s.owner == nil && !s.orphaned.IsZero() && now.Sub(s.orphaned) > linger
		if expired || abandoned {
			delete(r.streams, id)
			drop = append(drop, s)
		}
	}
	r.smu.Unlock()
	for _, s := range drop {
		s.close()
	}
}

// connClosed hands a closing connection's streams to linger, or drops them.
func (r *Registry) connClosed(c *Conn) {
	var drop []*stream
	r.smu.Lock()
	now := r.now()
	for id, s := range r.streams {
		if s.owner != c {
			continue
		}
		if r.opts.StreamLinger > 0 {
			s.owner, s.orphaned = nil, now
		} else {
			delete(r.streams, id)
			drop = append(drop, s)
		}
	}
	r.smu.Unlock()
	for _, s := range drop {
		s.close()
	}
}

// Close drops every stream, ending pulls that wait on a channel (Pyro4's
// daemon shutdown and close).
func (r *Registry) Close() {
	r.smu.Lock()
	all := r.streams
	r.streams = map[string]*stream{}
	r.smu.Unlock()
	for _, s := range all {
		s.close()
	}
}
