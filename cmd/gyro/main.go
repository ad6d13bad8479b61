// Command gyro runs gyro's servers and tools from the command line, with
// the options of their Pyro4 counterparts:
//
//	gyro echoserver [-H host] [-p port] [-u unixsocket] [-n] [-N] [-v] [-q] [-k key]
//
// echoserver serves the test object "test.echoserver" exactly as Pyro4's
// pyro4-test-echoserver does. Configuration comes from Pyro4's PYRO_*
// environment variables; PYRO_HMAC_KEY sets the HMAC key.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "echoserver":
		return echoServer(args[1:], stdout, stderr)
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

Run 'gyro <command> -h' for a command's options.
`)
}
