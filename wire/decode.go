package wire

import (
	"crypto/hmac"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
)

// Parse decodes one message from the front of buf, for a reactor that
// buffers input itself.
//
// n == 0 with a nil error means buf holds only part of a frame: call again
// with more bytes. Otherwise n is the size of the frame, and m the message.
// Header and size errors are reported as soon as the 24 header bytes are
// there, before the body has arrived; then n is 0. Errors found in a
// complete frame (annotations, HMAC, inflating) come with n set to its
// size. After any error the stream is out of sync.
//
// m.Data and the annotation values alias buf, except that a compressed
// payload is inflated into a new slice. Copy them before reusing buf.
//
// The HMAC is verified when opts.HMACKey is set or the message carries
// one; one without the other is ErrHMACAsymmetric.
func Parse(buf []byte, opts *Options) (m Message, n int, err error) {
	n, err = ParseInto(&m, buf, opts)
	return m, n, err
}

// ParseInto is Parse decoding into m, reusing the capacity of
// m.Annotations, so that a reactor that keeps one Message per connection
// decodes uncompressed, unsigned messages without allocating. Every field
// of m is overwritten; on "need more" m is left as it was.
func ParseInto(m *Message, buf []byte, opts *Options) (n int, err error) {
	opts = orDefault(opts)
	if len(buf) < HeaderSize {
		return 0, nil
	}
	h, err := ParseHeader(buf)
	if err != nil {
		return 0, err
	}
	if err := opts.CheckSize(h); err != nil {
		setHeader(m, h)
		return 0, err
	}
	n = h.FrameSize()
	if len(buf) < n {
		return 0, nil
	}
	setHeader(m, h)
	return n, decodeBody(m, h, buf[HeaderSize:n:n], opts)
}

// ReadMessage reads one message from r, for blocking readers. It checks the
// header and the size limit before reading the body, so an oversize or
// garbled frame is never buffered. The message owns its memory.
//
// A clean end of stream before the first header byte is io.EOF; one inside
// a frame is io.ErrUnexpectedEOF. When the header was valid but a later
// check failed, the message comes back with the error, holding the header
// fields.
func ReadMessage(r io.Reader, opts *Options) (*Message, error) {
	opts = orDefault(opts)
	var hb [HeaderSize]byte
	if _, err := io.ReadFull(r, hb[:]); err != nil {
		return nil, err
	}
	h, err := ParseHeader(hb[:])
	if err != nil {
		return nil, err
	}
	m := new(Message)
	setHeader(m, h)
	if err := opts.CheckSize(h); err != nil {
		return m, err
	}
	body, err := readBody(r, h.AnnLen+h.DataLen)
	if err != nil {
		return m, err
	}
	return m, decodeBody(m, h, body, opts)
}

// readBody reads exactly n bytes. It grows the buffer as data arrives
// rather than trusting the header's length up front, so a lying header
// without a MaxMessageSize cannot make it allocate gigabytes at once.
func readBody(r io.Reader, n int) ([]byte, error) {
	const step = 1 << 20
	buf := make([]byte, 0, min(n, step))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(n-len(buf), cap(buf)))
		}
		k, err := io.ReadFull(r, buf[len(buf):min(cap(buf), n)])
		buf = buf[:len(buf)+k]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return buf, nil
}

func setHeader(m *Message, h Header) {
	m.Type, m.Flags, m.Seq, m.SerializerID = h.Type, h.Flags, h.Seq, h.SerializerID
	m.Annotations = m.Annotations[:0]
	m.Data = nil
}

// decodeBody decodes the annotations and payload in body (exactly
// AnnLen+DataLen bytes), verifies the HMAC and inflates, in Pyro4's order.
func decodeBody(m *Message, h Header, body []byte, opts *Options) error {
	anns, data := body[:h.AnnLen], body[h.AnnLen:]
	count := 0
	for i := 0; i < len(anns); count++ {
		if len(anns)-i < chunkHeader {
			return fmt.Errorf("%w: truncated chunk header at offset %d of %d", ErrAnnotation, i, len(anns))
		}
		key := anns[i : i+4]
		for _, c := range key {
			if c >= 0x80 {
				return fmt.Errorf("%w: key %q is not ASCII", ErrAnnotation, key)
			}
		}
		end := i + chunkHeader + int(binary.BigEndian.Uint16(anns[i+4:]))
		if end > len(anns) {
			return fmt.Errorf("%w: %s chunk ends at %d, beyond annotations length %d", ErrAnnotation, key, end, len(anns))
		}
		i = end
	}
	if count > 0 {
		a := m.Annotations[:0]
		if cap(a) < count {
			a = make([]Annotation, 0, count)
		}
		for i := 0; i < len(anns); {
			l := int(binary.BigEndian.Uint16(anns[i+4:]))
			v := anns[i+chunkHeader : i+chunkHeader+l : i+chunkHeader+l]
			a = append(a, Annotation{Key: internKey(anns[i : i+4]), Value: v})
			i += chunkHeader + l
		}
		m.Annotations = a
	}
	m.Data = data

	mac, signed := m.Annotation(hmacKey)
	switch key := opts.HMACKey; {
	case signed && len(key) > 0:
		var sum [hmacSize]byte
		sign(key, data, m.Annotations, &sum)
		if !hmac.Equal(mac, sum[:]) {
			return ErrHMACMismatch
		}
	case signed || len(key) > 0:
		return ErrHMACAsymmetric
	}

	if h.Flags&FlagCompressed != 0 {
		out, err := inflate(data, opts.inflateLimit())
		if err != nil {
			return err
		}
		m.Data = out
	}
	return nil
}

// internKey returns the key as a string without allocating for the keys
// Pyro4 itself uses.
func internKey(b []byte) string {
	switch string(b) {
	case corrKey:
		return corrKey
	case hmacKey:
		return hmacKey
	case "STRM":
		return "STRM"
	case "BLBI":
		return "BLBI"
	}
	return string(b)
}
