package wire

// Decoder splits a byte stream fed in arbitrary pieces into messages. It is
// a thin layer over Parse for reactors that prefer not to manage a buffer.
//
// Messages returned by Next alias memory that the Decoder never writes
// again, so they stay valid after later calls to Feed.
type Decoder struct {
	opts *Options
	buf  []byte
	off  int // start of the unparsed bytes
	err  error
}

// NewDecoder returns a Decoder that parses with opts.
func NewDecoder(opts *Options) *Decoder { return &Decoder{opts: opts} }

// Feed appends p (copied) to the unparsed input.
func (d *Decoder) Feed(p []byte) {
	if d.off == len(d.buf) {
		// Everything parsed: start a fresh buffer rather than overwrite
		// bytes that returned messages may alias.
		d.buf, d.off = nil, 0
	} else if d.off > 0 && cap(d.buf)-len(d.buf) < len(p) {
		// Growing anyway: leave the parsed prefix behind.
		rest := d.buf[d.off:]
		nb := make([]byte, len(rest), len(rest)+len(p))
		copy(nb, rest)
		d.buf, d.off = nb, 0
	}
	d.buf = append(d.buf, p...)
}

// Next returns the next complete message, or (nil, nil) when more input is
// needed. Errors are sticky: the stream is out of sync after one. As with
// ReadMessage, a message with only its header fields may come with an
// error.
func (d *Decoder) Next() (*Message, error) {
	if d.err != nil {
		return nil, d.err
	}
	m := new(Message)
	n, err := ParseInto(m, d.buf[d.off:], d.opts)
	if err != nil {
		d.err = err
		if isHeaderError(err) {
			return nil, err
		}
		return m, err
	}
	if n == 0 {
		return nil, nil
	}
	d.off += n
	return m, nil
}

// Buffered reports how many bytes have been fed but not yet returned as
// messages: non-zero at end of stream means a truncated frame.
func (d *Decoder) Buffered() int { return len(d.buf) - d.off }

// isHeaderError reports the errors ParseHeader returns, which leave the
// message empty.
func isHeaderError(err error) bool {
	return err == ErrInvalidHeader || err == ErrChecksum || err == ErrDataLength
}
