package engine

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/gyro-rpc/gyro/config"
)

// Server is a running server type: how bytes move between the connections
// of a listener and their sessions. Every server type does what this
// interface says; a type that a foreign event loop can drive also
// implements Driven.
type Server interface {
	// Serve runs the request loop until Stop, or until cond returns
	// false; cond is checked at least every POLLTIMEOUT.
	Serve(cond func() bool) error
	// Stop makes Serve return and closes the listening socket at once, so
	// a client arriving afterwards is refused; connections are kept until
	// Close. It is safe from any goroutine, also from inside a call, and
	// does not wait.
	Stop()
	// Close releases every connection and every goroutine of the server.
	// Calls in progress may finish and send their replies until ctx is
	// done; then their connections are closed under them. Close returns
	// ctx.Err() when it had to cut calls short.
	Close(ctx context.Context) error
}

// Driven is the capability of a server type whose every socket a foreign
// event loop can watch: the daemon's Sockets, WriteSockets, Events and
// Timeout delegate to it, and only a daemon whose server type has it can
// be combined (package combine). The methods are called from one goroutine
// at a time.
type Driven interface {
	// Sockets returns the descriptors to watch for readability.
	Sockets() []int
	// WriteSockets returns the connections with output the kernel has not
	// taken yet, to watch for writability.
	WriteSockets() []int
	// Events processes the descriptors that became ready without blocking.
	Events(ready []int) error
	// Timeout reports how long the foreign loop may wait before calling
	// Events; -1 means indefinitely.
	Timeout() time.Duration
}

// NewServerFunc starts a server type over ln, which it owns from then on.
type NewServerFunc func(c *Core, ln net.Listener) (Server, error)

var (
	serverTypesMu sync.RWMutex
	serverTypes   = map[string]NewServerFunc{}
)

// RegisterServerType makes a server type available by name to every
// daemon whose SERVERTYPE names it, the way database/sql drivers register:
// a package providing one registers it in its init function, and a program
// links it with a blank import. It panics if name is registered twice or
// fn is nil.
func RegisterServerType(name string, fn NewServerFunc) {
	serverTypesMu.Lock()
	defer serverTypesMu.Unlock()
	if fn == nil {
		panic("engine: RegisterServerType " + name + " with a nil function")
	}
	if _, dup := serverTypes[name]; dup {
		panic("engine: RegisterServerType called twice for " + name)
	}
	serverTypes[name] = fn
}

// ServerTypes returns the names of the server types linked into the
// program, sorted.
func ServerTypes() []string {
	serverTypesMu.RLock()
	defer serverTypesMu.RUnlock()
	names := make([]string, 0, len(serverTypes))
	for n := range serverTypes {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// importPaths names the packages of server types that are not part of
// package engine, for the error a program gets when it did not link one.
var importPaths = map[string]string{
	config.ServerMulticore: "github.com/gyro-rpc/gyro/multicore",
}

func lookupServerType(name string) (NewServerFunc, error) {
	serverTypesMu.RLock()
	fn, ok := serverTypes[name]
	serverTypesMu.RUnlock()
	if ok {
		return fn, nil
	}
	if path, known := importPaths[name]; known {
		return nil, fmt.Errorf("%w: %q is not linked into this program (import _ %q)", ErrUnknownServerType, name, path)
	}
	return nil, fmt.Errorf("%w: %q (linked: %v)", ErrUnknownServerType, name, ServerTypes())
}

func init() {
	RegisterServerType(config.ServerThread, newThreadServer)
	RegisterServerType(config.ServerMultiplex, newMultiplexServer)
}
