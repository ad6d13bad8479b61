//go:build unix

// Command eventloop is the Go counterpart of Pyro4's eventloop example: a
// name server, its broadcast server and a daemon serving
// "example.embedded.server" run in ONE event loop.
//
//	go run ./examples/eventloop            # combined: combine.Combine runs the loop
//	go run ./examples/eventloop -ownloop   # a hand-written poll loop over Sockets()
//	                                       # plus an application socket of its own
//
// Host and ports come from Pyro4's config items (PYRO_HOST, PYRO_NS_PORT,
// PYRO_NS_BCPORT, PYRO_NS_BCHOST), so Pyro4's unchanged client
// (/usr/share/doc/pyro4/examples/eventloop/client.py) finds the server
// through the name server. Port 0 picks free ports, which are printed.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gyro-rpc/gyro/combine"
	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/naming"
)

func main() {
	ownLoop := flag.Bool("ownloop", false, "run a hand-written poll loop instead of combine.Combine")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *ownLoop, os.Stdout); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// services are the three things served in one loop.
type services struct {
	daemon *engine.Daemon
	ns     *naming.NS
	bc     *naming.BroadcastServer
	server *EmbeddedServer
}

func start(out io.Writer) (*services, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, err
	}
	cfg.ServerType = config.ServerMultiplex // only multiplex daemons share a loop
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	fmt.Fprintln(out, "MULTIPLEXED server type. Initializing services...")
	ns, err := naming.StartNS(naming.NSOptions{Host: cfg.Host, Port: cfg.NSPort, NoBroadcast: true, Config: &cfg, Logger: quiet})
	if err != nil {
		return nil, fmt.Errorf("name server: %w", err)
	}
	fmt.Fprintf(out, "got a Nameserver, uri=%s\n", ns.URI)
	// Pyro4 starts no broadcast server for a loopback name server; the
	// example wants one in the loop, so it makes its own, as startNS would
	// for a routable host.
	bc, err := naming.NewBroadcastServer(ns.InternalURI, cfg.NSBCHost, cfg.NSBCPort)
	if err != nil {
		ns.Close()
		return nil, fmt.Errorf("broadcast server: %w", err)
	}
	fmt.Fprintf(out, "broadcast server on %s\n", bc.LocationStr())
	d, err := engine.New(engine.Options{Host: cfg.Host, Config: &cfg, Logger: quiet})
	if err != nil {
		bc.Close()
		ns.Close()
		return nil, err
	}
	server := &EmbeddedServer{}
	uri, err := d.Register(server, "", false)
	if err == nil {
		fmt.Fprintf(out, "server uri=%s\n", uri)
		err = ns.NameServer.Register(context.Background(), "example.embedded.server", uri.String(), false, nil)
	}
	if err != nil {
		d.Close()
		bc.Close()
		ns.Close()
		return nil, err
	}
	fmt.Fprintln(out)
	return &services{daemon: d, ns: ns, bc: bc, server: server}, nil
}

func (s *services) close() {
	s.daemon.Close()
	s.bc.Close()
	s.ns.Close()
}

func run(ctx context.Context, ownLoop bool, out io.Writer) error {
	s, err := start(out)
	if err != nil {
		return err
	}
	defer s.close()
	if ownLoop {
		return s.pollLoop(ctx, out)
	}
	// The daemon is the master: combine.Combine is Pyro4's
	// pyrodaemon.combine(nameserverDaemon); pyrodaemon.combine(broadcastServer).
	l, err := combine.Combine(s.daemon, s.ns.Daemon, s.bc)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, l.Shutdown)
	defer stop()
	err = l.RequestLoop(func() bool {
		fmt.Fprintln(out, time.Now().Format(time.ANSIC), "Waiting for requests...")
		return ctx.Err() == nil
	})
	fmt.Fprintln(out, "done")
	return err
}

// pollLoop is the chapter's "integrating Pyro in your own event loop": one
// poll(2) over the daemons' and broadcast server's Sockets() (and, for
// writability, WriteSockets()) and a socket
// of the application's own, a TCP status port answering one line: the
// number of multiply calls served so far.
func (s *services) pollLoop(ctx context.Context, out io.Writer) error {
	app, err := net.Listen("tcp", net.JoinHostPort(hostOf(s.daemon), "0"))
	if err != nil {
		return err
	}
	defer app.Close()
	appFd := fd(app.(*net.TCPListener))
	fmt.Fprintf(out, "status port %s\n", app.Addr())

	// a pipe the context's cancellation writes to, so poll wakes up
	var wake [2]int
	if err := unix.Pipe(wake[:]); err != nil {
		return err
	}
	defer unix.Close(wake[0])
	defer unix.Close(wake[1])
	unix.SetNonblock(wake[1], true)
	stop := context.AfterFunc(ctx, func() { unix.Write(wake[1], []byte{1}) })
	defer stop()

	type member interface {
		Sockets() []int
		Events([]int) error
	}
	members := []member{s.daemon, s.ns.Daemon, s.bc}
	for ctx.Err() == nil {
		fds := []unix.PollFd{{Fd: int32(wake[0]), Events: unix.POLLIN}, {Fd: int32(appFd), Events: unix.POLLIN}}
		owner := []int{-1, -1}
		for i, m := range members {
			for _, f := range m.Sockets() {
				fds = append(fds, unix.PollFd{Fd: int32(f), Events: unix.POLLIN})
				owner = append(owner, i)
			}
			// replies the kernel has not taken yet go out when writable
			if w, ok := m.(interface{ WriteSockets() []int }); ok {
				for _, f := range w.WriteSockets() {
					fds = append(fds, unix.PollFd{Fd: int32(f), Events: unix.POLLOUT})
					owner = append(owner, i)
				}
			}
		}
		timeout := min(s.daemon.Timeout(), 2*time.Second)
		if timeout < 0 {
			timeout = 2 * time.Second
		}
		if _, err := unix.Poll(fds, int(timeout/time.Millisecond)+1); err != nil && !errors.Is(err, unix.EINTR) {
			return err
		}
		ready := make([][]int, len(members))
		for i, f := range fds {
			if f.Revents == 0 || owner[i] < 0 {
				continue
			}
			ready[owner[i]] = append(ready[owner[i]], int(f.Fd))
		}
		for i, m := range members {
			if err := m.Events(ready[i]); err != nil {
				return err
			}
		}
		if fds[1].Revents != 0 {
			s.answerStatus(app)
		}
	}
	fmt.Fprintln(out, "done")
	return ctx.Err()
}

// answerStatus serves the application's own socket: it is readable, so
// Accept does not block.
func (s *services) answerStatus(app net.Listener) {
	c, err := app.Accept()
	if err != nil {
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	fmt.Fprintf(c, "calls %d\n", s.server.calls.Load())
}

func hostOf(d *engine.Daemon) string {
	h, _, _ := net.SplitHostPort(d.Addr().String())
	return h
}

func fd(l *net.TCPListener) int {
	raw, err := l.SyscallConn()
	if err != nil {
		return -1
	}
	n := -1
	raw.Control(func(f uintptr) { n = int(f) })
	return n
}

// readStatus is the client side of the status port (used by the test).
func readStatus(addr string) (int, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return 0, err
	}
	var n int
	_, err = fmt.Sscanf(line, "calls %d", &n)
	return n, err
}
