//go:build !unix

package main

import (
	"fmt"
	"os"
	"runtime"
)

// The example serves its daemons from one event loop (package combine, or
// a poll(2) loop of its own), which needs a Unix system.
func main() {
	fmt.Fprintf(os.Stderr, "eventloop: this example needs a Unix system (epoll or poll(2)), not %s\n", runtime.GOOS)
	os.Exit(1)
}
