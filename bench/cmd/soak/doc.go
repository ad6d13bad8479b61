// Package main is the soak command, the hostile soak: for each server type
// it starts a daemon in a child process and, for a bounded time, throws at
// it many concurrent clients that call correctly (every answer checked),
// send oneway calls, garbage frames, zlib bombs, pipeline large calls
// without ever reading a reply, stay silent, trickle a byte at a time, or
// vanish mid-call. It prints, per type, the calls answered correctly, the
// wrong answers, the server's peak and final RSS, and its descriptors and
// goroutines before and after.
//
//	go run ./cmd/soak                 # 60 s in all, split over the types
//	go run ./cmd/soak -duration 3m -types multicore
//
// The exit status is 1 when an answer was wrong, the server died, or its
// descriptors or goroutines did not come back to their baseline.
package main
