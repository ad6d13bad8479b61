//go:build unix

package main

import "syscall"

// raiseNoFile lifts the descriptor limit to its maximum: the load runs
// open many connections at once. It sets the limit even when the Go
// runtime already raised it, since only a limit set by the program is
// passed on to the servers it starts (Pyro4's daemon among them).
func raiseNoFile() {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil {
		rl.Cur = rl.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
}
