package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/echo"
)

func echoServer(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gyro echoserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		host, unixSocket, key              string
		port                               int
		naming, nameserver, verbose, quiet bool
	)
	fs.StringVar(&host, "H", "localhost", "hostname to bind server on")
	fs.StringVar(&host, "host", "localhost", "hostname to bind server on")
	fs.IntVar(&port, "p", 0, "port to bind server on (0 = random)")
	fs.IntVar(&port, "port", 0, "port to bind server on (0 = random)")
	fs.StringVar(&unixSocket, "u", "", "Unix domain socket name to bind server on")
	fs.StringVar(&unixSocket, "unixsocket", "", "Unix domain socket name to bind server on")
	fs.BoolVar(&naming, "n", false, "register with nameserver")
	fs.BoolVar(&naming, "naming", false, "register with nameserver")
	fs.BoolVar(&nameserver, "N", false, "also start a nameserver")
	fs.BoolVar(&nameserver, "nameserver", false, "also start a nameserver")
	fs.BoolVar(&verbose, "v", false, "verbose output")
	fs.BoolVar(&verbose, "verbose", false, "verbose output")
	fs.BoolVar(&quiet, "q", false, "don't output anything")
	fs.BoolVar(&quiet, "quiet", false, "don't output anything")
	fs.StringVar(&key, "k", "", "the HMAC key to use (deprecated: use PYRO_HMAC_KEY)")
	fs.StringVar(&key, "key", "", "the HMAC key to use (deprecated: use PYRO_HMAC_KEY)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if key != "" {
		fmt.Fprintln(stderr, "warning: using -k to supply HMAC key on the command line is a security problem and is deprecated. Use PYRO_HMAC_KEY.")
	}
	if env, ok := os.LookupEnv("PYRO_HMAC_KEY"); ok {
		if key != "" {
			fmt.Fprintln(stderr, "error: don't use -k and PYRO_HMAC_KEY at the same time")
			return 1
		}
		key = env
	}
	if nameserver {
		naming = true
	}
	if naming {
		fmt.Fprintln(stderr, "error: -n/-N need gyro's name server, which this build does not have yet")
		return 1
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
	say("Starting Pyro's built-in test echo server.")
	if key == "" {
		say("Warning: HMAC key not set. Anyone can connect to this server!")
	}
	var d *engine.Daemon
	obj := echo.New(stdout, verbose, func() { d.Shutdown() })
	d, err = engine.New(engine.Options{
		Host: host, Port: port, UnixSocket: unixSocket, Config: &cfg, HMACKey: []byte(key),
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	defer d.Close()
	uri, err := d.Register(obj, echo.ObjectID, false)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	if verbose {
		say("not using a name server.")
	}
	say("object name: %s", echo.ObjectID)
	say("echo uri: %s", uri)
	say("echoserver running.")
	// Ctrl-C ends the loop cleanly, as it ends Pyro4's
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := d.Serve(ctx); err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}
