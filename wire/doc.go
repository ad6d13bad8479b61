// Package wire encodes and decodes Pyro4 wire frames, protocol version 48,
// and Pyro5's, protocol version 502.
//
// A frame is a 24-byte big-endian header, a run of annotation chunks and
// the payload:
//
//	"PYRO" version type flags seq data_len serializer_id ann_len reserved checksum
//	{key[4] len[2] value[len]}...  (ann_len bytes)
//	payload                        (data_len bytes)
//
// The package knows nothing about serializers, objects or connections. It
// validates headers (tag, version, checksum, lengths), enforces
// Options.MaxMessageSize before a body is read, signs and verifies the HMAC
// annotation, and compresses and inflates payloads with zlib the way Pyro4
// 4.82 does.
//
// Three ways to receive:
//
//   - ReadMessage reads one message from a blocking io.Reader (a thread
//     server or a proxy). The returned message owns its memory.
//   - Parse and ParseInto decode one message from the front of a byte slice,
//     for reactors that buffer input themselves; they report "need more
//     bytes" as n == 0 with a nil error. The payload and annotation values
//     alias the slice unless the payload was compressed.
//   - Decoder buffers partial reads on top of Parse.
//
// Sending is Append, which encodes onto a caller-owned slice so a sender
// can reuse one buffer per connection and issue a single write per message,
// as Pyro4 does.
//
// # Pyro5
//
// Protocol 502 (Pyro5) frames have their own types and functions:
// Message5, Parse5, Parse5Into, ReadMessage5 and Append5, with the same
// Options, limits, compression and errors (and no HMAC, which Pyro5 lacks:
// ErrNoHMAC5). DetectProtocol tells the generation from a connection's
// first six bytes, so one listener can serve both.
//
// # Errors
//
// The sentinel errors carry Pyro4's exact texts, because a server sends
// err.Error() back to the client in a CONNECTFAIL. In Pyro4 terms,
// ErrInvalidHeader, ErrChecksum, ErrDataLength, ErrAnnotation and
// ErrUnexpectedType are ProtocolErrors, ErrHMACMismatch and
// ErrHMACAsymmetric are SecurityErrors, and ErrTooLarge is a
// MessageTooLargeError. After any of them the byte stream is out of sync
// and the connection should be closed.
//
// When an error is found after a valid header (size, annotations, HMAC,
// inflating), the receive functions still fill in the message's Type,
// Flags, Seq and SerializerID, so a server can answer a failed CONNECT with
// the right sequence number.
package wire
