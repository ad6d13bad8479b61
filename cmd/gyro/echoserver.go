package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/echo"
	"github.com/gyro-rpc/gyro/naming"
	"github.com/gyro-rpc/gyro/pyval"
)

// echoServer is `gyro echoserver`, pyro4-test-echoserver; it serves until
// the echo object's shutdown() is called or ctx is done.
func echoServer(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gyro echoserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	setUsage(fs, "gyro echoserver [options]", "")
	var (
		host, unixSocket, key, serverType string
		httpAddr                          string
		port                              int
		useNS, nameserver, verbose, quiet bool
	)
	fs.StringVar(&host, "H", "localhost", "hostname to bind server on")
	fs.StringVar(&host, "host", "localhost", "hostname to bind server on")
	fs.IntVar(&port, "p", 0, "port to bind server on (0 = random)")
	fs.IntVar(&port, "port", 0, "port to bind server on (0 = random)")
	fs.StringVar(&unixSocket, "u", "", "Unix domain socket name to bind server on")
	fs.StringVar(&unixSocket, "unixsocket", "", "Unix domain socket name to bind server on")
	fs.BoolVar(&useNS, "n", false, "register with nameserver")
	fs.BoolVar(&useNS, "naming", false, "register with nameserver")
	fs.BoolVar(&nameserver, "N", false, "also start a nameserver")
	fs.BoolVar(&nameserver, "nameserver", false, "also start a nameserver")
	fs.BoolVar(&verbose, "v", false, "verbose output")
	fs.BoolVar(&verbose, "verbose", false, "verbose output")
	fs.BoolVar(&quiet, "q", false, "don't output anything")
	fs.BoolVar(&quiet, "quiet", false, "don't output anything")
	stringFlag(fs, &serverType, config.ServerMultiplex, "t", "servertype", "server type: thread, multiplex or multicore")
	fs.StringVar(&key, "k", "", "the HMAC key to use (deprecated: use PYRO_HMAC_KEY)")
	fs.StringVar(&key, "key", "", "the HMAC key to use (deprecated: use PYRO_HMAC_KEY)")
	httpFlag(fs, &httpAddr)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	key, err := hmacKey(key, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if nameserver {
		useNS = true
	}
	if verbose {
		quiet = false
	}
	say := func(format string, a ...any) {
		if !quiet {
			fmt.Fprintf(stdout, format+"\n", a...)
		}
	}
	cfg, err := config.FromEnv()
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	// pyro4-test-echoserver forces the multiplex type whatever the config
	// says; gyro's defaults to it too (so slow() delays other clients the
	// same way), and -t tries Pyro's test object on every server type.
	// Windows has no reactor (package loop): the thread type stands in.
	cfg.ServerType = serverType
	if runtime.GOOS == "windows" && serverType == config.ServerMultiplex {
		cfg.ServerType = config.ServerThread
	}
	mon, err := newMonitor(httpAddr, cfg.ServerType, warnLogger(stderr))
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	var interceptors []engine.Interceptor
	if mon != nil {
		interceptors = mon.Interceptors()
		defer mon.Close()
	}
	say("Starting Pyro's built-in test echo server.")
	if key == "" {
		say("Warning: HMAC key not set. Anyone can connect to this server!")
	}
	var ns *naming.NS
	if nameserver {
		// Pyro4 starts it on the echo server's host at NS_PORT, in a
		// thread of its own: here a goroutine that ends with the command.
		ns, err = naming.StartNS(naming.NSOptions{Host: host, Port: cfg.NSPort, BCPort: cfg.NSBCPort, HMACKey: []byte(key), Config: &cfg, Logger: warnLogger(stderr),
			Interceptors: interceptors})
		if err != nil {
			fmt.Fprintln(stderr, "error:", err)
			return 1
		}
		if mon != nil {
			mon.AddDaemon(ns.Daemon)
			if err := mon.Metrics().ObserveNameServer(ns.NameServer); err != nil {
				fmt.Fprintln(stderr, "error:", err)
				return 1
			}
		}
		nsCtx, cancel := context.WithCancel(ctx)
		served := make(chan struct{})
		go func() {
			defer close(served)
			if err := ns.Serve(nsCtx); err != nil {
				fmt.Fprintln(stderr, "error: name server:", err)
			}
		}()
		defer func() {
			cancel()
			<-served
			ns.Close()
		}()
	}
	var d *engine.Daemon
	obj := echo.New(stdout, verbose, func() { d.Shutdown() })
	d, err = engine.New(engine.Options{
		Host: host, Port: port, UnixSocket: unixSocket, Config: &cfg, HMACKey: []byte(key),
		Logger: warnLogger(stderr), Interceptors: interceptors,
	})
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	defer d.Close()
	if mon != nil {
		mon.AddDaemon(d)
	}
	uri, err := d.Register(obj, echo.ObjectID, false)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	if useNS {
		if err := registerEcho(ctx, ns, uri, key, &cfg, say, verbose); err != nil {
			fmt.Fprintln(stderr, "error:", err)
			return 1
		}
	} else if verbose {
		say("not using a name server.")
	}
	say("object name: %s", echo.ObjectID)
	say("echo uri: %s", uri)
	say("echoserver running.")
	if mon != nil {
		if err := listenMonitor(ctx, mon, httpAddr, stdout); err != nil {
			fmt.Fprintln(stderr, "error:", err)
			return 1
		}
	}
	if err := d.Serve(ctx); err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}

// registerEcho registers the echo object with the name server LocateNS
// finds, or with ns when the command started one, as Pyro4's echo server.
func registerEcho(ctx context.Context, ns *naming.NS, uri pyval.URI, key string, cfg *config.Config, say func(string, ...any), verbose bool) error {
	opts := naming.LocateOptions{HMACKey: []byte(key), Config: cfg}
	if ns != nil {
		opts.Host, opts.Port = ns.URI.Host, ns.URI.Port
	}
	px, err := naming.LocateNS(ctx, opts)
	if err != nil {
		return err
	}
	defer px.Close()
	if _, err := px.Call(ctx, "register", echo.ObjectID, uri); err != nil {
		return err
	}
	if verbose {
		say("using name server at %s", px.URI())
		if ns != nil {
			if ns.Broadcast != nil {
				say("broadcast server running at %s", ns.Broadcast.LocationStr())
			} else {
				say("not using a broadcast server")
			}
		}
	}
	return nil
}
