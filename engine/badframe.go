package engine

import (
	"errors"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/wire"
)

// classZlibError is the class of the exception Python's zlib.decompress
// raises, which a Pyro4 daemon sends back for a call it cannot inflate.
const classZlibError = "zlib.error"

// Texts of the CONNECTFAILs Pyro4 4.82 sends for frames it fails to read
// during the handshake: they are the Python exceptions its reader runs
// into, not messages of Pyro4's own.
const (
	reasonNegativeLength = "negative buffersize in recv"
	reasonBadAnnotation  = "unpack requires a buffer of 6 bytes"
)

// payloadError handles a complete frame whose header was good but whose
// body was not (ParseInto returned its size with the error); frame is that
// frame. It reports true when the connection goes on, having queued any
// reply. Pyro4 inflates a call in its serializer, so after the handshake
// a payload that is not valid zlib is an error of that call: Pyro4 answers
// it with a zlib.error exception and keeps serving. Everything else closes.
func (s *Session) payloadError(frame []byte, err error) (keep bool) {
	m := &s.msg
	if !s.ready || m.Type != wire.MsgInvoke || !errors.Is(err, wire.ErrDecompress) {
		return false
	}
	sid := int(m.SerializerID)
	codec, cerr := s.c.codec4(sid)
	if cerr != nil {
		return false // as in invoke: no serializer to answer in
	}
	oneway := m.Flags&wire.FlagOneway != 0
	if !s.c.accepted.Has(sid) {
		// Pyro4 checks the serializer before it inflates
		if !oneway {
			s.replyException(m.Seq, codec, pyval.NewException(pyval.ClassSerializeError, "message used serializer that is not accepted: "+itoa(sid)))
		}
		return false
	}
	if !oneway {
		text, _ := wire.ZlibErrorText(framePayload(frame), err)
		exc := pyval.NewException(classZlibError, text)
		dispatch.SetTraceback(exc)
		s.replyException(m.Seq, codec, exc)
	}
	return true
}

// framePayload returns the data part of a complete frame.
func framePayload(frame []byte) []byte {
	h, err := wire.ParseHeader(frame)
	if err != nil || len(frame) < h.DataLen {
		return nil
	}
	return frame[len(frame)-h.DataLen:]
}

// handshakeFrameError queues the CONNECTFAIL Pyro4 sends for a frame it
// could not read during the handshake, for the errors frameError does not
// know; it reports whether it sent one.
func (s *Session) handshakeFrameError(err error, frame []byte) bool {
	m := &s.msg
	switch {
	case errors.Is(err, wire.ErrDataLength):
		// Pyro4 asks the socket for a negative number of bytes
		s.connectFail(0, failSerializer, reasonNegativeLength, nil)
	case len(frame) > 0 && m.Type != wire.MsgConnect:
		// Pyro4 checks the type before it reads the body
		s.connectFail(0, failSerializer, wire.ErrInvalidType(m.Type).Error(), nil)
	case errors.Is(err, wire.ErrAnnotation):
		s.connectFail(0, failSerializer, reasonBadAnnotation, nil)
	case errors.Is(err, wire.ErrDecompress):
		sid := int(m.SerializerID)
		if _, cerr := s.c.codec4(sid); cerr != nil || !s.c.accepted.Has(sid) {
			s.connectFail(m.Seq, failSerializer, "message used serializer that is not accepted: "+itoa(sid), nil)
			return true
		}
		text, _ := wire.ZlibErrorText(framePayload(frame), err)
		s.connectFail(m.Seq, sid, text, s.correlation(m))
	default:
		return false
	}
	return true
}
