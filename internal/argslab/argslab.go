// Package argslab hands out small argument arrays ([]any) carved from
// shared blocks, so that code making many of them allocates once per block
// rather than once per array: dispatch for the variadic calls of a batch,
// engine for the oneway calls a connection queues.
//
// An array keeps its whole block alive, and with it the values the
// block's other arrays hold: a caller sizes its blocks so that what one
// kept array can pin is bounded (a batch's calls, a few dozen calls of one
// connection).
package argslab

// Slab is the block being carved. The zero value is ready; a Slab is not
// safe for concurrent use.
type Slab struct{ free []any }

// Take returns an empty array with room for exactly n values (appending
// more reallocates it rather than spill into a neighbour), carved from the
// block, or from a new one of size slots when too few are left. An array
// of more than size/4 values is made on its own.
func (s *Slab) Take(n, size int) []any {
	if n > size/4 {
		return make([]any, 0, n)
	}
	if len(s.free) < n {
		s.free = make([]any, size)
	}
	a := s.free[:0:n]
	s.free = s.free[n:]
	return a
}
