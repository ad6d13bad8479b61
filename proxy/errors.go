package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/wire"
)

// errConnectionClosed matches Pyro4's ConnectionClosedError with errors.Is.
var errConnectionClosed = &pyval.Exception{Class: pyval.ClassConnectionClosedError}

// Error is a Pyro4 exception raised locally by the proxy together with the
// Go error behind it: errors.As finds the *pyval.Exception (class, args),
// errors.Is also matches the cause (context.DeadlineExceeded,
// context.Canceled, wire.ErrHMACMismatch, a net error, ...). Exceptions
// raised by the remote object are returned as plain *pyval.Exception.
type Error struct {
	Exception *pyval.Exception
	Cause     error
}

func (e *Error) Error() string   { return e.Exception.Error() }
func (e *Error) Unwrap() []error { return []error{e.Exception, e.Cause} }

func wrap(class, msg string, cause error) error {
	exc := pyval.NewException(class, msg)
	if cause == nil {
		return exc
	}
	return &Error{Exception: exc, Cause: cause}
}

// ctxErr is the TimeoutError for a context that is done.
func ctxErr(ctx context.Context, what string) error {
	err := ctx.Err()
	return wrap(pyval.ClassTimeoutError, what+": timeout ("+err.Error()+")", err)
}

// ioErr classifies an error from writing or reading a message ("sending"
// or "receiving") into Pyro4's exception classes.
func ioErr(o *op, dir string, err error) error {
	if o.ctx.Err() != nil {
		return ctxErr(o.ctx, dir)
	}
	var exc *pyval.Exception
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		if o.ctxDeadline {
			// The connection's deadline is the context's; its timer may
			// not have marked the context done yet.
			return wrap(pyval.ClassTimeoutError, dir+": timeout ("+context.DeadlineExceeded.Error()+")",
				errors.Join(context.DeadlineExceeded, err))
		}
		return wrap(pyval.ClassTimeoutError, dir+": timeout", err)
	case errors.Is(err, wire.ErrHMACMismatch):
		return wrap(pyval.ClassSecurityError, "message hmac mismatch", err)
	case errors.Is(err, wire.ErrHMACAsymmetric):
		return wrap(pyval.ClassSecurityError, "hmac key config not symmetric", err)
	case errors.Is(err, wire.ErrTooLarge):
		return wrap(pyval.ClassMessageTooLargeError, err.Error(), err)
	case errors.Is(err, wire.ErrChecksum), errors.Is(err, wire.ErrInvalidHeader),
		errors.Is(err, wire.ErrDataLength), errors.Is(err, wire.ErrAnnotation),
		errors.Is(err, wire.ErrDecompress), errors.Is(err, wire.ErrShortHeader):
		// The wire errors' texts are Pyro4's.
		return wrap(pyval.ClassProtocolError, err.Error(), err)
	case errors.As(err, &exc):
		return err
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return wrap(pyval.ClassConnectionClosedError, dir+": not enough data", err)
	}
	return wrap(pyval.ClassConnectionClosedError, dir+": connection lost: "+err.Error(), err)
}

// connectErr classifies a dial error. Pyro4 reports these as
// CommunicationError "cannot connect to <location>: <error>".
func connectErr(o *op, loc string, err error) error {
	if o.ctx.Err() != nil {
		return ctxErr(o.ctx, "cannot connect to "+loc)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return wrap(pyval.ClassTimeoutError, "cannot connect to "+loc+": timeout", err)
	}
	return wrap(pyval.ClassCommunicationError, "cannot connect to "+loc+": "+err.Error(), err)
}

// handshakeErr follows Pyro4: a CommunicationError during the handshake is
// reported as it is, anything else (a SecurityError from HMAC checks, a
// decoding error) becomes "cannot connect to <location>: <message>".
func handshakeErr(loc string, err error) error {
	if errors.Is(err, pyval.ErrCommunication) {
		return err
	}
	msg := err.Error()
	var exc *pyval.Exception
	if errors.As(err, &exc) {
		msg = exc.Message()
	}
	return wrap(pyval.ClassCommunicationError, "cannot connect to "+loc+": "+msg, err)
}

// encodeErr reports arguments that cannot be encoded, misuse on the Go
// side, with the exception Pyro4 raises for it (the codec's own, else a
// SerializeError); a message over MAX_MESSAGE_SIZE is MessageTooLargeError.
func encodeErr(err error) error {
	var exc *pyval.Exception
	switch {
	case errors.As(err, &exc):
		return &misuse{err: errors.New("proxy: cannot encode the call: " + exc.Message()), exc: exc}
	case errors.Is(err, wire.ErrTooLarge):
		return wrap(pyval.ClassMessageTooLargeError, err.Error(), err)
	}
	return &misuse{err: fmt.Errorf("proxy: cannot encode the call: %w", err), exc: pyval.NewException(pyval.ClassSerializeError, err.Error())}
}

// decodeErr is encodeErr for a reply that does not decode.
func decodeErr(err error) error {
	var exc *pyval.Exception
	if errors.As(err, &exc) {
		return err
	}
	return wrap(pyval.ClassSerializeError, err.Error(), err)
}

// retryable reports whether Pyro4 would retry a call that failed with err.
func retryable(err error) bool {
	return errors.Is(err, errConnectionClosed) || errors.Is(err, pyval.ErrTimeout)
}
