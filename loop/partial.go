//go:build unix

package loop

// SetPartial tells the loop whether the handler holds part of a message it
// consumed from c's input but cannot use yet: a layer under the protocol
// (TLS) takes all the bytes it is given, so no remainder shows the loop
// that a message is half received. While partial is set,
// Options.ReadTimeout runs as it does for a remainder OnData leaves: it
// starts now, restarts whenever OnData consumes input, and closes c with
// ErrReadTimeout when it expires. SetPartial(false) stops it unless a
// remainder is buffered. Call it from OnData, a triggered function or
// OnBackpressure.
func (c *Conn) SetPartial(partial bool) {
	c.partial = partial
	l := c.l
	if l.readTimeout <= 0 || c.state != stateOpen || c.paused {
		return // no timeout, or the wait is ours (back-pressure), not the peer's
	}
	switch {
	case partial && c.readDeadline == 0:
		c.readDeadline = l.now + l.readTimeout
		l.schedule(c)
	case !partial && c.in == nil:
		c.readDeadline = 0 // a stale heap entry is re-keyed or dropped when it fires
	}
}
