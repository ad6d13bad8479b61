//go:build unix

package loop

// timerHeap is a binary min-heap of connections keyed by Conn.hkey. Each
// connection is in it at most once; Conn.hidx tracks its position so a key
// can be lowered or an entry removed in O(log n).
type timerHeap []*Conn

func (h *timerHeap) push(c *Conn) {
	c.hidx = len(*h)
	*h = append(*h, c)
	h.up(c.hidx)
}

func (h *timerHeap) remove(c *Conn) {
	i := c.hidx
	if i < 0 {
		return
	}
	last := len(*h) - 1
	if i != last {
		h.swap(i, last)
	}
	(*h)[last] = nil
	*h = (*h)[:last]
	c.hidx = -1
	if i != last {
		h.fixAt(i)
	}
}

func (h *timerHeap) fix(c *Conn) { h.fixAt(c.hidx) }

func (h *timerHeap) fixAt(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hidx = i
	h[j].hidx = j
}

func (h timerHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p].hkey <= h[i].hkey {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h timerHeap) down(i int) bool {
	start := i
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && h[r].hkey < h[l].hkey {
			m = r
		}
		if h[i].hkey <= h[m].hkey {
			break
		}
		h.swap(i, m)
		i = m
	}
	return i > start
}
