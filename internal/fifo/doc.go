// Package fifo is the first-in, first-out queue that gyro's worker pools
// take their jobs from: the daemon's queue of threaded oneway calls
// (engine) and the multicore type's connection workers (multicore).
//
// A Queue is a ring that doubles when full and reuses its slots, so a pool
// that takes jobs as fast as they come allocates nothing once warm, and
// one that falls behind keeps only the jobs still waiting. It has no lock:
// its owner's mutex guards it.
package fifo
