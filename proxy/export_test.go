package proxy

// SetSeq sets the proxy's message sequence number, to test wrapping.
func SetSeq(p *Proxy, seq uint16) {
	p.sem <- struct{}{}
	p.seq = seq
	<-p.sem
}
