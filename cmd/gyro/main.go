package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	_ "github.com/gyro-rpc/gyro/multicore" // PYRO_SERVERTYPE=multicore and -t multicore
)

func main() {
	// Ctrl-C and SIGTERM end the servers cleanly; a second one, after the
	// first has cancelled ctx, kills the process as usual.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	os.Exit(runContext(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is runContext without cancellation and with an empty stdin.
func run(args []string, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, nil, stdout, stderr)
}

// runContext runs the gyro command in args; servers stop when ctx is done.
func runContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "echoserver":
		return echoServer(ctx, args[1:], stdout, stderr)
	case "ns":
		return nsServe(ctx, args[1:], stdout, stderr)
	case "nsc":
		return nsc(ctx, args[1:], stdin, stdout, stderr)
	case "bench":
		return benchCmd(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "gyro: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: gyro <command> [options]

commands:
  echoserver   serve Pyro4's test echo server object (pyro4-test-echoserver)
  ns           run a name server (pyro4-ns)
  nsc          control a name server (pyro4-nsc)
  bench serve  serve the object of Pyro4's benchmark example (example.benchmark)

Run 'gyro <command> -h' for a command's options.
`)
}
