package fifo

// Queue is a FIFO ring of T; the zero value is an empty queue. The ring's
// size is a power of two, so that wrapping around is a mask.
type Queue[T any] struct {
	ring    []T
	head, n int
}

// Len is how many values wait.
func (q *Queue[T]) Len() int { return q.n }

// Cap is how many values fit before the ring grows.
func (q *Queue[T]) Cap() int { return len(q.ring) }

// Push adds v at the back, doubling the ring (to at least minRing) when
// it is full.
func (q *Queue[T]) Push(v T) {
	if q.n == len(q.ring) {
		q.grow()
	}
	q.ring[(q.head+q.n)&(len(q.ring)-1)] = v
	q.n++
}

// Pop takes the value at the front; false when the queue is empty. The slot
// is cleared, so the queue does not keep what it handed out alive.
func (q *Queue[T]) Pop() (T, bool) {
	var zero T
	if q.n == 0 {
		return zero, false
	}
	v := q.ring[q.head]
	q.ring[q.head] = zero
	q.head = (q.head + 1) & (len(q.ring) - 1)
	q.n--
	return v, true
}

// Reset empties the queue onto a new ring of at least size slots (the next
// power of two), dropping the values that wait: a pool gives back what a
// flood grew its queue to this way.
func (q *Queue[T]) Reset(size int) {
	n := 1
	for n < size {
		n *= 2
	}
	q.ring, q.head, q.n = make([]T, n), 0, 0
}

// minRing is the size of a ring's first allocation.
const minRing = 16

// grow doubles the ring, keeping the waiting values in order.
func (q *Queue[T]) grow() {
	ring := make([]T, max(2*len(q.ring), minRing))
	for i := range q.n {
		ring[i] = q.ring[(q.head+i)&(len(q.ring)-1)]
	}
	q.ring, q.head = ring, 0
}
