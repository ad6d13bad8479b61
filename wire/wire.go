package wire

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
)

const (
	// HeaderSize is the size of the fixed frame header.
	HeaderSize = 24
	// ProtocolVersion is the only version Pyro4 4.82 speaks.
	ProtocolVersion = 48

	tag           = "PYRO"
	checksumMagic = 0x34E9
	chunkHeader   = 6         // key[4] + len[2] before each annotation value
	maxDataLen    = 1<<31 - 1 // data_len is a signed int32 on the wire
	maxAnnLen     = 0xFFFF
	hmacSize      = 20 // SHA-1
	// compressThreshold is the smallest payload Pyro4 tries to compress.
	compressThreshold = 200
)

// MsgType is the message type field of the header.
type MsgType uint16

// Message types.
const (
	MsgConnect     MsgType = 1 // first message from a client
	MsgConnectOK   MsgType = 2 // handshake accepted
	MsgConnectFail MsgType = 3 // handshake rejected; the server then closes
	MsgInvoke      MsgType = 4 // method call
	MsgResult      MsgType = 5 // value or exception
	MsgPing        MsgType = 6 // answered with a PING
)

var typeNames = [...]string{1: "CONNECT", 2: "CONNECTOK", 3: "CONNECTFAIL", 4: "INVOKE", 5: "RESULT", 6: "PING"}

func (t MsgType) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "MsgType(" + strconv.Itoa(int(t)) + ")"
}

// Flags is the flags field of the header. Unknown bits are carried through
// untouched.
type Flags uint16

// Message flags.
const (
	FlagException        Flags = 0x01 // RESULT payload is a serialized exception
	FlagCompressed       Flags = 0x02 // payload is zlib-compressed
	FlagOneway           Flags = 0x04 // INVOKE that gets no reply
	FlagBatch            Flags = 0x08 // batch INVOKE and its RESULT
	FlagMetaOnConnect    Flags = 0x10 // CONNECT asks for, CONNECTOK carries, metadata
	FlagItemStreamResult Flags = 0x20 // stream-start RESULT
	FlagKeepSerialized   Flags = 0x40 // SerializedBlob INVOKE
)

var flagNames = [...]string{"EXCEPTION", "COMPRESSED", "ONEWAY", "BATCH", "META_ON_CONNECT", "ITEMSTREAMRESULT", "KEEPSERIALIZED"}

func (f Flags) String() string {
	if f == 0 {
		return "0"
	}
	var b strings.Builder
	for i, name := range flagNames {
		if f&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(name)
		}
	}
	if rest := f &^ (1<<len(flagNames) - 1); rest != 0 {
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		b.WriteString("0x" + strconv.FormatUint(uint64(rest), 16))
	}
	return b.String()
}

// Annotation is one annotation chunk. Key is exactly 4 ASCII characters;
// Pyro4 itself uses CORR (correlation id), HMAC, STRM (stream id) and BLBI
// (blob info).
type Annotation struct {
	Key   string
	Value []byte
}

// Message is one Pyro4 message.
type Message struct {
	Type         MsgType
	Flags        Flags
	Seq          uint16
	SerializerID uint16
	// Annotations in wire order. A received message may repeat a key; the
	// last one wins, as in Pyro4.
	Annotations []Annotation
	// Data is the payload, already inflated on receive. Flags keeps
	// FlagCompressed as received; Append decides compression afresh.
	Data []byte
}

// Annotation returns the value of the last annotation with the given key.
func (m *Message) Annotation(key string) ([]byte, bool) {
	for i := len(m.Annotations) - 1; i >= 0; i-- {
		if m.Annotations[i].Key == key {
			return m.Annotations[i].Value, true
		}
	}
	return nil, false
}

// SetAnnotation replaces the value of the last annotation with the given
// key (the one that counts), or appends a new annotation.
func (m *Message) SetAnnotation(key string, v []byte) {
	for i := len(m.Annotations) - 1; i >= 0; i-- {
		if m.Annotations[i].Key == key {
			m.Annotations[i].Value = v
			return
		}
	}
	m.Annotations = append(m.Annotations, Annotation{Key: key, Value: v})
}

// Header is a decoded frame header.
type Header struct {
	Type         MsgType
	Flags        Flags
	Seq          uint16
	DataLen      int
	SerializerID uint16
	AnnLen       int
	Checksum     uint16
}

// FrameSize is the size of the whole frame the header introduces.
func (h Header) FrameSize() int { return HeaderSize + h.AnnLen + h.DataLen }

// Checksum computes the header checksum of h (its Checksum field is
// ignored): the 16-bit wrapping sum of type, version, data length,
// annotations length, serializer id, flags, seq and 0x34E9.
func Checksum(h Header) uint16 {
	// Truncating each term to 16 bits first gives the same low 16 bits as
	// Pyro4's "& 0xffff" of the full sum, negative data lengths included.
	return uint16(h.Type) + ProtocolVersion + uint16(h.DataLen) + uint16(h.AnnLen) +
		h.SerializerID + uint16(h.Flags) + h.Seq + checksumMagic
}

// ParseHeader decodes and validates the first HeaderSize bytes of b: tag
// and version (ErrInvalidHeader), checksum (ErrChecksum), then a negative
// data length (ErrDataLength). It does not check the size limit, which
// needs Options. The reserved field is ignored, as in Pyro4.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, ErrShortHeader
	}
	if string(b[0:4]) != tag || binary.BigEndian.Uint16(b[4:]) != ProtocolVersion {
		return Header{}, ErrInvalidHeader
	}
	h := Header{
		Type:         MsgType(binary.BigEndian.Uint16(b[6:])),
		Flags:        Flags(binary.BigEndian.Uint16(b[8:])),
		Seq:          binary.BigEndian.Uint16(b[10:]),
		DataLen:      int(int32(binary.BigEndian.Uint32(b[12:]))),
		SerializerID: binary.BigEndian.Uint16(b[16:]),
		AnnLen:       int(binary.BigEndian.Uint16(b[18:])),
		Checksum:     binary.BigEndian.Uint16(b[22:]),
	}
	if h.Checksum != Checksum(h) {
		return Header{}, ErrChecksum
	}
	// The second test only matters where int is 32 bits: FrameSize must
	// not overflow.
	if h.DataLen < 0 || h.DataLen > math.MaxInt-HeaderSize-maxAnnLen {
		return Header{}, ErrDataLength
	}
	return h, nil
}

// putHeader writes h, with a freshly computed checksum, into b[:HeaderSize].
func putHeader(b []byte, h Header) {
	_ = b[HeaderSize-1]
	copy(b, tag)
	binary.BigEndian.PutUint16(b[4:], ProtocolVersion)
	binary.BigEndian.PutUint16(b[6:], uint16(h.Type))
	binary.BigEndian.PutUint16(b[8:], uint16(h.Flags))
	binary.BigEndian.PutUint16(b[10:], h.Seq)
	binary.BigEndian.PutUint32(b[12:], uint32(h.DataLen))
	binary.BigEndian.PutUint16(b[16:], h.SerializerID)
	binary.BigEndian.PutUint16(b[18:], uint16(h.AnnLen))
	binary.BigEndian.PutUint16(b[20:], 0)
	binary.BigEndian.PutUint16(b[22:], Checksum(h))
}

// Options configure encoding and decoding. A nil *Options is the zero
// value: no HMAC, no compression, no size limits.
type Options struct {
	// HMACKey signs outgoing and verifies incoming messages; nil or empty
	// means off. Both sides must agree.
	HMACKey []byte
	// Compress is the sender's COMPRESSION setting: payloads of at least
	// 200 bytes are sent zlib-compressed when that makes them smaller.
	Compress bool
	// MaxMessageSize limits data_len + ann_len, as sent on the wire
	// (compressed); 0 means unlimited.
	MaxMessageSize int
	// MaxInflatedSize limits the size of an inflated payload; 0 means
	// MaxMessageSize, or DefaultMaxInflatedSize when that is 0 too, and a
	// negative value means unlimited, as in Pyro4.
	MaxInflatedSize int
}

var noOptions Options

func orDefault(o *Options) *Options {
	if o == nil {
		return &noOptions
	}
	return o
}

// CheckSize applies MaxMessageSize to a header, before its body is read:
// a reader that buffers frames itself calls it before waiting for a body.
func (o *Options) CheckSize(h Header) error {
	o = orDefault(o)
	if size := h.DataLen + h.AnnLen; o.MaxMessageSize > 0 && size > o.MaxMessageSize {
		return tooLarge(size, o.MaxMessageSize)
	}
	return nil
}

// FrameLen reports the size of the frame at the front of b from its header,
// of either generation (a daemon serves Pyro4 and Pyro5 on one port): 0
// with a nil error while fewer than FrameHeaderSize(b) bytes are there,
// and the header's or the size limit's error when the frame cannot be
// read. It is how every server type learns how many bytes the next
// request needs.
func FrameLen(b []byte, opts *Options) (int, error) {
	if isPyro5(b) {
		return frameLen5(b, opts)
	}
	if len(b) < HeaderSize {
		return 0, nil
	}
	h, err := ParseHeader(b)
	if err != nil {
		return 0, err
	}
	if err := orDefault(opts).CheckSize(h); err != nil {
		return 0, err
	}
	return h.FrameSize(), nil
}
