package wire

import (
	"errors"
	"fmt"
)

// Sentinel errors. Where Pyro4 has a text for the condition, the error's
// message is exactly that text, so it can be sent back in a CONNECTFAIL.
var (
	// ErrInvalidHeader: the tag is not "PYRO" or the version is not 48.
	ErrInvalidHeader = errors.New("invalid data or unsupported protocol version")
	// ErrChecksum: the header checksum does not match its fields.
	ErrChecksum = errors.New("header checksum mismatch")
	// ErrShortHeader: ParseHeader was given fewer than HeaderSize bytes.
	ErrShortHeader = errors.New("header data size mismatch")
	// ErrDataLength: a data length outside 0..0x7fffffff, received
	// (negative int32) or about to be sent.
	ErrDataLength = errors.New("invalid message size (outside range 0..2Gb)")
	// ErrTooLarge: data_len + ann_len exceeds Options.MaxMessageSize
	// (the error reads "max message size exceeded (N where max=M)"), or
	// the inflated payload exceeds its limit (ErrInflatedTooLarge, which
	// matches this too).
	ErrTooLarge = errors.New("max message size exceeded")
	// ErrAnnotation: a malformed annotation chunk (one that overruns
	// ann_len, a key that is not 4 ASCII characters, a value or a total
	// that does not fit in 16 bits).
	ErrAnnotation = errors.New("invalid annotation")
	// ErrHMACMismatch: the HMAC annotation does not match the message.
	ErrHMACMismatch = errors.New("message hmac mismatch")
	// ErrHMACAsymmetric: only one of the receiver and the message has an
	// HMAC (the receiver has a key and the message is unsigned, or the
	// other way round).
	ErrHMACAsymmetric = errors.New("hmac key config not symmetric")
	// ErrUnexpectedType is wrapped by the errors of ErrInvalidType.
	ErrUnexpectedType = errors.New("invalid msg type received")
	// ErrDecompress: a payload flagged as compressed is not a valid zlib
	// stream.
	ErrDecompress = errors.New("invalid compressed payload")
)

// ErrInvalidType returns the error for a message of a type the receiver
// did not expect, with Pyro4's text "invalid msg type N received". It
// matches ErrUnexpectedType with errors.Is.
func ErrInvalidType(t MsgType) error { return typeError(t) }

type typeError MsgType

func (e typeError) Error() string { return fmt.Sprintf("invalid msg type %d received", uint16(e)) }
func (e typeError) Unwrap() error { return ErrUnexpectedType }

// tooLarge formats ErrTooLarge the way Pyro4 does.
func tooLarge(size, max int) error {
	return fmt.Errorf("%w (%d where max=%d)", ErrTooLarge, size, max)
}
