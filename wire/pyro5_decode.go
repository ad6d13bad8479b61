package wire

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Parse5 is Parse for protocol 502: it decodes one Pyro5 message from the
// front of buf, with the same "need more" (n == 0, nil error) and
// aliasing rules. Options.HMACKey must be empty (ErrNoHMAC5).
func Parse5(buf []byte, opts *Options) (m Message5, n int, err error) {
	n, err = Parse5Into(&m, buf, opts)
	return m, n, err
}

// Parse5Into is Parse5 decoding into m, reusing the capacity of
// m.Annotations, so that a reactor that keeps one Message5 per connection
// decodes uncompressed messages without allocating. Every field of m is
// overwritten; on "need more" m is left as it was.
func Parse5Into(m *Message5, buf []byte, opts *Options) (n int, err error) {
	opts = orDefault(opts)
	if len(buf) < HeaderSize5 {
		// Fail early on a stream that cannot be protocol 502.
		if v, err := DetectProtocol(buf); err != nil || (v != 0 && v != Pyro5) {
			return 0, ErrInvalidHeader
		}
		return 0, nil
	}
	h, err := ParseHeader5(buf)
	if err != nil {
		return 0, err
	}
	if err := opts.checkSize5(h); err != nil {
		setHeader5(m, h)
		return 0, err
	}
	n = h.FrameSize()
	if len(buf) < n {
		return 0, nil
	}
	setHeader5(m, h)
	return n, decodeBody5(m, h, buf[HeaderSize5:n:n], opts)
}

// ReadMessage5 is ReadMessage for protocol 502: header and size limit are
// checked before the body is read, and the message owns its memory.
func ReadMessage5(r io.Reader, opts *Options) (*Message5, error) {
	opts = orDefault(opts)
	// Like Pyro5, look at "PYRO" and the version before waiting for the
	// rest of the header, so a peer of the other generation fails at once.
	var hb [HeaderSize5]byte
	if _, err := io.ReadFull(r, hb[:DetectSize]); err != nil {
		return nil, err
	}
	if v, err := DetectProtocol(hb[:DetectSize]); err != nil || v != Pyro5 {
		return nil, ErrInvalidHeader
	}
	if _, err := io.ReadFull(r, hb[DetectSize:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	h, err := ParseHeader5(hb[:])
	if err != nil {
		return nil, err
	}
	m := new(Message5)
	setHeader5(m, h)
	if err := opts.checkSize5(h); err != nil {
		return m, err
	}
	body, err := readBody(r, h.AnnLen+h.DataLen)
	if err != nil {
		return m, err
	}
	return m, decodeBody5(m, h, body, opts)
}

func setHeader5(m *Message5, h Header5) {
	m.Type, m.Flags, m.Seq, m.SerializerID, m.CorrID = h.Type, h.Flags, h.Seq, h.SerializerID, h.CorrID
	m.Annotations = m.Annotations[:0]
	m.Data = nil
}

// decodeBody5 splits body (exactly AnnLen+DataLen bytes) into annotation
// chunks and payload and inflates the payload, in Pyro5's order.
func decodeBody5(m *Message5, h Header5, body []byte, opts *Options) error {
	if len(opts.HMACKey) > 0 {
		return ErrNoHMAC5
	}
	anns, data := body[:h.AnnLen], body[h.AnnLen:]
	count := 0
	for i := 0; i < len(anns); count++ {
		if len(anns)-i < chunkHeader5 {
			return fmt.Errorf("%w: truncated chunk header at offset %d of %d", ErrAnnotation, i, len(anns))
		}
		key := anns[i : i+4]
		for _, c := range key {
			if c >= 0x80 {
				return fmt.Errorf("%w: key %q is not ASCII", ErrAnnotation, key)
			}
		}
		l := uint64(binary.BigEndian.Uint32(anns[i+4:]))
		if l > uint64(len(anns)-i-chunkHeader5) {
			return fmt.Errorf("%w: %s chunk of %d bytes overruns annotations length %d", ErrAnnotation, key, l, len(anns))
		}
		i += chunkHeader5 + int(l)
	}
	if count > 0 {
		a := m.Annotations[:0]
		if cap(a) < count {
			a = make([]Annotation, 0, count)
		}
		for i := 0; i < len(anns); {
			l := int(binary.BigEndian.Uint32(anns[i+4:]))
			v := anns[i+chunkHeader5 : i+chunkHeader5+l : i+chunkHeader5+l]
			a = append(a, Annotation{Key: internKey(anns[i : i+4]), Value: v})
			i += chunkHeader5 + l
		}
		m.Annotations = a
	}
	m.Data = data
	if h.Flags&Flag5Compressed != 0 {
		out, err := inflate(data, opts.MaxInflatedSize)
		if err != nil {
			return err
		}
		m.Data = out
	}
	return nil
}
