package wire

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"strings"
)

// Pyro5 frames (protocol 502). Pyro5 kept Pyro4's message types and
// zlib compression but changed the header: 40 bytes, a one-byte message type
// and serializer id, 32-bit data and annotation lengths, a 16-byte
// correlation id in place of Pyro4's CORR annotation, a fixed magic number
// in place of the checksum, and no HMAC. Annotation chunks have a 4-byte
// length. docs/pyro5-wire.md has the whole layout and how it was checked.

const (
	// HeaderSize5 is the size of a protocol 502 header.
	HeaderSize5 = 40
	// ProtocolVersion5 is the version Pyro5 5.x speaks.
	ProtocolVersion5 = 502

	magic5             = 0x4dc5
	chunkHeader5       = 8 // key[4] + len[4] before each annotation value
	maxLen5            = math.MaxUint32
	compressThreshold5 = 100 // Pyro5 compresses payloads longer than this
)

// Flags5 is the flags field of a protocol 502 header. The low four bits
// mean what they mean in Pyro4; the others moved.
type Flags5 uint16

// Protocol 502 message flags.
const (
	Flag5Exception        Flags5 = 0x01 // RESULT payload is a serialized exception
	Flag5Compressed       Flags5 = 0x02 // payload (not annotations) is zlib-compressed
	Flag5Oneway           Flags5 = 0x04 // INVOKE that gets no reply
	Flag5Batch            Flags5 = 0x08 // batch INVOKE and its RESULT
	Flag5ItemStreamResult Flags5 = 0x10 // stream-start RESULT
	Flag5KeepSerialized   Flags5 = 0x20 // SerializedBlob INVOKE
	Flag5CorrID           Flags5 = 0x40 // the header's correlation id is set
)

var flag5Names = [...]string{"EXCEPTION", "COMPRESSED", "ONEWAY", "BATCH", "ITEMSTREAMRESULT", "KEEPSERIALIZED", "CORR_ID"}

func (f Flags5) String() string {
	if f == 0 {
		return "0"
	}
	var b strings.Builder
	for i, name := range flag5Names {
		if f&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(name)
		}
	}
	if rest := f &^ (1<<len(flag5Names) - 1); rest != 0 {
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		b.WriteString("0x" + strconv.FormatUint(uint64(rest), 16))
	}
	return b.String()
}

// Message5 is one Pyro5 message. Message types are those of Pyro4.
type Message5 struct {
	Type         MsgType
	Flags        Flags5
	Seq          uint16
	SerializerID uint8
	// CorrID is the correlation id (a UUID's 16 bytes); Pyro5 sets
	// Flag5CorrID when it is meaningful and sends zeros otherwise.
	CorrID [16]byte
	// Annotations in wire order. A received message may repeat a key; the
	// last one wins, as in Pyro5 (which keeps them in a dict).
	Annotations []Annotation
	// Data is the payload, already inflated on receive; Flags keeps
	// Flag5Compressed as received, and Append5 decides compression afresh.
	Data []byte
}

// Annotation returns the value of the last annotation with the given key.
func (m *Message5) Annotation(key string) ([]byte, bool) {
	for i := len(m.Annotations) - 1; i >= 0; i-- {
		if m.Annotations[i].Key == key {
			return m.Annotations[i].Value, true
		}
	}
	return nil, false
}

// Header5 is a decoded protocol 502 header.
type Header5 struct {
	Type         MsgType
	SerializerID uint8
	Flags        Flags5
	Seq          uint16
	DataLen      int
	AnnLen       int
	CorrID       [16]byte
}

// FrameSize is the size of the whole frame the header introduces.
func (h Header5) FrameSize() int { return HeaderSize5 + h.AnnLen + h.DataLen }

// ErrNoHMAC5 is returned for a protocol 502 message when Options.HMACKey is
// set: Pyro5 has no message authentication, so a receiver that requires
// it must refuse Pyro5 peers rather than let them in unsigned.
var ErrNoHMAC5 = errors.New("hmac key config not symmetric: protocol 502 has no message hmac")

// ParseHeader5 decodes and validates the first HeaderSize5 bytes of b:
// tag, version and magic number (ErrInvalidHeader). The reserved field is
// ignored, as in Pyro5. It does not check the size limit, which needs
// Options.
func ParseHeader5(b []byte) (Header5, error) {
	if len(b) < HeaderSize5 {
		return Header5{}, ErrShortHeader
	}
	if string(b[0:4]) != tag || binary.BigEndian.Uint16(b[4:]) != ProtocolVersion5 ||
		binary.BigEndian.Uint16(b[38:]) != magic5 {
		return Header5{}, ErrInvalidHeader
	}
	h := Header5{
		Type:         MsgType(b[6]),
		SerializerID: b[7],
		Flags:        Flags5(binary.BigEndian.Uint16(b[8:])),
		Seq:          binary.BigEndian.Uint16(b[10:]),
		DataLen:      int(binary.BigEndian.Uint32(b[12:])),
		AnnLen:       int(binary.BigEndian.Uint32(b[16:])),
	}
	copy(h.CorrID[:], b[20:36])
	// Only matters where int is 32 bits: FrameSize must not overflow.
	if h.DataLen < 0 || h.AnnLen < 0 || h.DataLen > math.MaxInt-HeaderSize5-h.AnnLen {
		return Header5{}, ErrDataLength
	}
	return h, nil
}

func putHeader5(b []byte, h Header5) {
	_ = b[HeaderSize5-1]
	copy(b, tag)
	binary.BigEndian.PutUint16(b[4:], ProtocolVersion5)
	b[6] = byte(h.Type)
	b[7] = h.SerializerID
	binary.BigEndian.PutUint16(b[8:], uint16(h.Flags))
	binary.BigEndian.PutUint16(b[10:], h.Seq)
	binary.BigEndian.PutUint32(b[12:], uint32(h.DataLen))
	binary.BigEndian.PutUint32(b[16:], uint32(h.AnnLen))
	copy(b[20:36], h.CorrID[:])
	binary.BigEndian.PutUint16(b[36:], 0)
	binary.BigEndian.PutUint16(b[38:], magic5)
}

// checkSize5 applies MaxMessageSize to a protocol 502 header, before its
// body is read, as Pyro5's ReceivingMessage does.
func (o *Options) checkSize5(h Header5) error {
	o = orDefault(o)
	if size := h.DataLen + h.AnnLen; o.MaxMessageSize > 0 && size > o.MaxMessageSize {
		return tooLarge(size, o.MaxMessageSize)
	}
	return nil
}

// CheckSize5 is CheckSize for a protocol 502 header.
func (o *Options) CheckSize5(h Header5) error { return o.checkSize5(h) }

// Protocol versions DetectProtocol reports.
const (
	Pyro4 = ProtocolVersion  // 48
	Pyro5 = ProtocolVersion5 // 502
)

// DetectSize is how many bytes DetectProtocol needs: "PYRO" and the
// 2-byte version, which both generations put first.
const DetectSize = 6

// DetectProtocol tells the protocol generation of a connection from its
// first bytes: Pyro4 (48) or Pyro5 (502). With fewer than DetectSize bytes
// it returns 0 and a nil error (need more) unless the bytes so far already
// cannot start "PYRO"; anything other than "PYRO" with version 48 or 502 is
// ErrInvalidHeader. A server calls it on a connection's first bytes and
// then parses with Parse (48) or Parse5 (502) for the rest of it.
func DetectProtocol(b []byte) (int, error) {
	n := min(len(b), len(tag))
	if string(b[:n]) != tag[:n] {
		return 0, ErrInvalidHeader
	}
	if len(b) < DetectSize {
		return 0, nil
	}
	switch v := binary.BigEndian.Uint16(b[4:]); v {
	case Pyro4, Pyro5:
		return int(v), nil
	}
	return 0, ErrInvalidHeader
}

// isPyro5 reports whether b starts a protocol 502 frame.
func isPyro5(b []byte) bool {
	return len(b) >= DetectSize && string(b[:len(tag)]) == tag && binary.BigEndian.Uint16(b[4:]) == Pyro5
}

// FrameHeaderSize is how many bytes FrameLen needs to size the frame at the
// front of b: HeaderSize5 once b shows a protocol 502 frame, else
// HeaderSize. A reader that peeks at a fixed header size first (HeaderSize,
// the smaller) peeks again for this many bytes when it is more.
func FrameHeaderSize(b []byte) int {
	if isPyro5(b) {
		return HeaderSize5
	}
	return HeaderSize
}

// frameLen5 is FrameLen for a protocol 502 frame. It leaves HMAC to the
// parser (ErrNoHMAC5), which is where a server answers it.
func frameLen5(b []byte, opts *Options) (int, error) {
	if len(b) < HeaderSize5 {
		return 0, nil
	}
	h, err := ParseHeader5(b)
	if err != nil {
		return 0, err
	}
	if err := orDefault(opts).checkSize5(h); err != nil {
		return 0, err
	}
	return h.FrameSize(), nil
}

// To4 maps protocol 502 flags to Pyro4's bits for the same meanings, for
// code that handles both generations in Pyro4's terms. CORR_ID has no
// Pyro4 bit (Pyro4 sends a CORR annotation) and is dropped.
func (f Flags5) To4() Flags {
	out := Flags(f & (Flag5Exception | Flag5Compressed | Flag5Oneway | Flag5Batch))
	if f&Flag5ItemStreamResult != 0 {
		out |= FlagItemStreamResult
	}
	if f&Flag5KeepSerialized != 0 {
		out |= FlagKeepSerialized
	}
	return out
}

// To5 maps Pyro4 flags to protocol 502's bits. META_ON_CONNECT has no
// protocol 502 bit (Pyro5 always sends metadata) and is dropped.
func (f Flags) To5() Flags5 {
	out := Flags5(f & (FlagException | FlagCompressed | FlagOneway | FlagBatch))
	if f&FlagItemStreamResult != 0 {
		out |= Flag5ItemStreamResult
	}
	if f&FlagKeepSerialized != 0 {
		out |= Flag5KeepSerialized
	}
	return out
}
