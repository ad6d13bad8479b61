// Package benchserve holds what the comparison run's server commands
// share: the line that tells compare a server listens, and the CPU
// profile a server writes until it is stopped.
package benchserve

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

// Ready prints "READY <addr>", which compare waits for.
func Ready(addr string) { fmt.Printf("READY %s\n", addr) }

// ProfileUntilSignal profiles the process until SIGTERM or SIGINT, then
// writes the profile and exits: the servers otherwise run until killed.
func ProfileUntilSignal(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	go func() {
		<-sig
		pprof.StopCPUProfile()
		f.Close()
		os.Exit(0)
	}()
	return nil
}
