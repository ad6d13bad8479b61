// Package spawn owns the goroutines of a server: every goroutine a server
// type starts (a connection's, a threaded oneway call's, an accept loop's)
// goes through one Group, which refuses new ones once closing began and
// lets the owner wait for the running ones within the caller's context,
// without leaving a waiter goroutine behind when that context ends first.
// This is nats-server's startGoRoutine pattern.
package spawn
