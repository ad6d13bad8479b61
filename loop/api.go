package loop

import (
	"errors"
	"log/slog"
	"time"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultReadBufferSize = 256 << 10
	DefaultMaxWriteBuffer = 4 << 20
	DefaultTickInterval   = time.Second
	DefaultBacklog        = 4096
)

// Sentinel errors. Errors passed to Handler.OnClose are these, io.EOF, or an
// *os.SyscallError wrapping the errno (so errors.Is(err, syscall.ECONNRESET)
// works).
var (
	// ErrClosed is returned by operations on a closed Loop or Conn, and is
	// the OnClose error of connections still open when Loop.Close runs.
	ErrClosed = errors.New("loop: closed")
	// ErrRunning is returned by Run, Poll and Events when the loop is
	// already being driven by another call (concurrently or re-entrantly).
	ErrRunning = errors.New("loop: already running")
	// ErrIdleTimeout is the OnClose error of a connection that made no
	// progress for Options.IdleTimeout.
	ErrIdleTimeout = errors.New("loop: idle timeout")
	// ErrReadTimeout is the OnClose error of a connection whose partial
	// input stayed incomplete for Options.ReadTimeout.
	ErrReadTimeout = errors.New("loop: read timeout")
)

// Handler is implemented by the owner of the connections. All methods run on
// the loop goroutine, one at a time, never nested for the same connection.
type Handler interface {
	// OnOpen is called once for every accepted connection, before any
	// OnData for it.
	OnOpen(c *Conn)
	// OnData is called with all unconsumed input of c (earlier leftovers
	// followed by newly read bytes) and returns how many leading bytes it
	// consumed, 0 <= consumed <= len(in). The rest stays buffered and is
	// presented again, followed by new bytes. While OnData makes progress
	// and input remains, the loop calls it again (so a handler may consume
	// one message per call); returning 0 means "need more bytes". in is only
	// valid during the call: copy what must be kept.
	OnData(c *Conn, in []byte) (consumed int)
	// OnClose is called exactly once per opened connection, after its
	// descriptor is closed. err is nil after c.Close, io.EOF when the peer
	// closed, ErrIdleTimeout, ErrReadTimeout, ErrClosed (Loop.Close), or the
	// I/O error that ended the connection.
	OnClose(c *Conn, err error)
}

// BackpressureHandler may be implemented by a Handler to learn when the loop
// stops reading from a connection because its pending output exceeds
// Options.MaxWriteBuffer (paused=true), and when it resumes (paused=false).
type BackpressureHandler interface {
	OnBackpressure(c *Conn, paused bool)
}

// Options configures a Loop. The zero value is usable.
type Options struct {
	// ReadBufferSize is the size of the loop's single read buffer, i.e. the
	// most bytes read from one connection per step. Default 256 KiB: one
	// buffer per loop, large enough that a message of tens of KiB arrives
	// in one read and goes to the handler without being copied aside.
	ReadBufferSize int
	// MaxWriteBuffer bounds a connection's pending output: when more than
	// this many bytes are queued, the loop stops reading from (and
	// delivering input of) that connection until the output has drained to
	// MaxWriteBuffer/2. Default 4 MiB; negative disables back-pressure.
	MaxWriteBuffer int
	// IdleTimeout closes connections (with ErrIdleTimeout) that neither had
	// input consumed by OnData nor had output accepted by the kernel for
	// this long. Zero disables it.
	IdleTimeout time.Duration
	// ReadTimeout closes connections (with ErrReadTimeout) whose buffered
	// input stays incomplete (OnData left a remainder) for this long, like
	// Pyro's COMMTIMEOUT on a half-received message. Zero disables it.
	ReadTimeout time.Duration
	// Tick, if set, is called on the loop goroutine about every
	// TickInterval (default 1s) for the owner's housekeeping.
	Tick         func()
	TickInterval time.Duration
	// Backlog is the listen(2) backlog for Listen. Default 4096 (the kernel
	// may cap it).
	Backlog int
	// Logger receives accept and poller failures. Default: discard.
	Logger *slog.Logger
}

// Interest is the readiness a descriptor is watched for.
type Interest uint8

const (
	Readable Interest = 1 << iota
	Writable
)

// Ready is one descriptor reported ready by a poller. Hang-ups and errors
// are reported as both readable and writable, so the next read or write
// returns them.
type Ready struct {
	Fd    int
	Read  bool
	Write bool
}
