// Package sockio reads and writes the non-blocking stream sockets of
// gyro's reactors (the loop and the multicore type's workers) with the
// cheapest system calls the platform has for it. It exists so both use
// one implementation; it does no buffering and keeps no state.
package sockio
