package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/benchobj"
	"github.com/gyro-rpc/gyro/naming"
)

// benchCmd runs `gyro bench serve`: the object of Pyro4's benchmark example
// (examples/benchmark/server.py) as "example.benchmark", so Pyro4's
// unchanged benchmark/client.py runs against gyro.
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "serve" {
		fmt.Fprintln(stderr, "usage: gyro bench serve [-H host] [-p port] [-u unixsocket] [-t servertype]")
		return 2
	}
	fs := flag.NewFlagSet("gyro bench serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	setUsage(fs, "gyro bench serve [options]", "")
	var host, unixSocket, serverType string
	var port int
	stringFlag(fs, &host, "", "H", "host", "hostname to bind server on (default: PYRO_HOST, localhost)")
	fs.IntVar(&port, "p", 0, "port to bind server on (0 = random)")
	fs.IntVar(&port, "port", 0, "port to bind server on (0 = random)")
	stringFlag(fs, &unixSocket, "", "u", "unixsocket", "Unix domain socket name to bind server on")
	stringFlag(fs, &serverType, "", "t", "servertype", "thread, multiplex or multicore (default: PYRO_SERVERTYPE)")
	if code, ok := parseFlags(fs, args[1:]); !ok {
		return code
	}
	cfg, err := config.FromEnv()
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	if serverType != "" {
		cfg.ServerType = serverType
	}
	d, err := engine.New(engine.Options{Host: host, Port: port, UnixSocket: unixSocket, Config: &cfg, Logger: warnLogger(stderr)})
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	// serveSimple({bench: "example.benchmark"}, ns=False), as server.py does
	err = naming.ServeSimple(ctx, []naming.Object{{Obj: benchobj.Bench{}, Name: benchobj.ObjectID}},
		naming.ServeSimpleOptions{Daemon: d, Verbose: true, Out: stdout, Config: &cfg})
	if err != nil && ctx.Err() == nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}
