package proxy

// SetSeq sets the proxy's message sequence number, to test wrapping.
func SetSeq(p *Proxy, seq uint16) {
	p.sem <- struct{}{}
	p.seq = seq
	<-p.sem
}

// InFlight returns the number of calls waiting for their reply on a
// pipelining proxy's connection.
func InFlight(p *Proxy) int {
	pp := p.livePipe()
	if pp == nil {
		return 0
	}
	pp.mu.Lock()
	defer pp.mu.Unlock()
	return len(pp.pending)
}

// WaitingForRoom returns the number of pipelined calls waiting for replies
// to make room in the window.
func WaitingForRoom(p *Proxy) int {
	pp := p.livePipe()
	if pp == nil {
		return 0
	}
	pp.mu.Lock()
	defer pp.mu.Unlock()
	return len(pp.roomq)
}

// Sent returns the number of calls waiting for their reply on a
// pipelining proxy's connection whose requests have gone out: none is
// still being encoded, queued or written.
func Sent(p *Proxy) int {
	pp := p.livePipe()
	if pp == nil {
		return 0
	}
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if len(pp.queue) > 0 || pp.writing {
		return 0
	}
	n := 0
	for _, w := range pp.pending {
		if w.size > 0 { // set when the frame was queued
			n++
		}
	}
	return n
}
