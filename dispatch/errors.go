package dispatch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strings"

	"github.com/gyro-rpc/gyro/pyval"
)

// Exception classes ToException maps standard Go errors to. They are
// spelled out with their module: QualifyClass("TimeoutError") would pick
// Pyro4.errors.TimeoutError, which is a different class.
const (
	classTimeoutError        = "builtins.TimeoutError"
	classFileNotFoundError   = "builtins.FileNotFoundError"
	classFileExistsError     = "builtins.FileExistsError"
	classPermissionError     = "builtins.PermissionError"
	classNotImplementedError = "builtins.NotImplementedError"
	classOverflowError       = "builtins.OverflowError"
)

// ToException converts an error into the Python exception a Pyro4 client
// receives. It always returns a new value (nil for nil), so callers may set
// attributes on it without touching a shared sentinel:
//
//   - a *pyval.Exception keeps its class, args and attributes;
//   - an error wrapping one (errors.As) keeps the wrapped class, with the
//     wrapper's text as message ("loading: bad" for
//     fmt.Errorf("loading: %w", ValueError("bad")));
//   - context.DeadlineExceeded and os.ErrDeadlineExceeded become
//     builtins.TimeoutError, fs.ErrNotExist FileNotFoundError, fs.ErrExist
//     FileExistsError, fs.ErrPermission PermissionError and
//     errors.ErrUnsupported NotImplementedError;
//   - anything else is builtins.RuntimeError(err.Error()).
func ToException(err error) *pyval.Exception {
	if err == nil {
		return nil
	}
	if e, ok := err.(*pyval.Exception); ok {
		return cloneException(e)
	}
	var inner *pyval.Exception
	if errors.As(err, &inner) && inner != nil {
		e := cloneException(inner)
		msg := strings.Replace(err.Error(), inner.Error(), inner.Message(), 1)
		e.Args = pyval.Tuple{msg}
		return e
	}
	class := pyval.ClassRuntimeError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		class = classTimeoutError
	case errors.Is(err, fs.ErrNotExist):
		class = classFileNotFoundError
	case errors.Is(err, fs.ErrExist):
		class = classFileExistsError
	case errors.Is(err, fs.ErrPermission):
		class = classPermissionError
	case errors.Is(err, errors.ErrUnsupported):
		class = classNotImplementedError
	}
	return &pyval.Exception{Class: class, Args: pyval.Tuple{err.Error()}}
}

// PanicToException converts a recovered panic value into a
// builtins.RuntimeError("panic: ...") carrying the Go stack (as returned
// by runtime/debug.Stack) in its traceback. The registry uses it for every
// panic in a remote method, instance creator or stream; the engine can use
// it for its own.
func PanicToException(p any, stack []byte, frames ...string) *pyval.Exception {
	e := &pyval.Exception{Class: pyval.ClassRuntimeError, Args: pyval.Tuple{"panic: " + panicMessage(p)}}
	SetTraceback(e, append(frames, stackLines(stack)...)...)
	return e
}

func panicMessage(p any) string {
	switch x := p.(type) {
	case error:
		return x.Error()
	case string:
		return x
	}
	return fmt.Sprint(p)
}

func cloneException(e *pyval.Exception) *pyval.Exception {
	c := &pyval.Exception{Class: e.Class, Args: e.Args}
	if c.Class == "" {
		c.Class = pyval.ClassException
	}
	if e.Attributes.Len() > 0 {
		c.Attributes = pyval.NewDict(e.Attributes.Len() + 1)
		for _, it := range e.Attributes.Items() {
			c.Attributes.Append(it.Key, it.Value)
		}
	}
	return c
}

// SetTraceback sets e's "_pyroTraceback" attribute in the shape Pyro4 uses,
// a list of str lines as Python's traceback.format_exception returns:
//
//	Traceback (most recent call last):
//	<frames, each ending in "\n">
//	ValueError: message
//
// Builtin classes are shown without their module, as Python shows them.
// An existing traceback is kept: it came from where the error started.
func SetTraceback(e *pyval.Exception, frames ...string) {
	if _, ok := e.Attributes.Get("_pyroTraceback"); ok {
		return
	}
	lines := make([]any, 0, len(frames)+2)
	lines = append(lines, "Traceback (most recent call last):\n")
	for _, f := range frames {
		if f != "" {
			lines = append(lines, f)
		}
	}
	last := strings.TrimPrefix(e.Class, "builtins.")
	if m := e.Message(); m != "" {
		last += ": " + m
	}
	lines = append(lines, last+"\n")
	e.SetAttr("_pyroTraceback", lines)
}

// stackLines indents a Go stack as traceback lines.
func stackLines(stack []byte) []string {
	if len(stack) == 0 {
		return nil
	}
	out := []string{"  Go stack (most recent call first):\n"}
	for _, l := range strings.Split(strings.TrimRight(string(stack), "\n"), "\n") {
		out = append(out, "    "+l+"\n")
	}
	return out
}

// chainLines describes a Go error chain for DETAILED_TRACEBACK: Go errors
// carry no stack, but their wrapping chain says where they came from.
func chainLines(err error) []string {
	out := []string{"  Go error chain:\n"}
	for i := 0; err != nil && i < 16; i++ {
		out = append(out, fmt.Sprintf("    %s: %s\n", reflect.TypeOf(err), err.Error()))
		err = errors.Unwrap(err)
	}
	return out
}

// raise finishes an exception for the wire: traceback with the method's
// frame, plus the error chain when detailed tracebacks are on.
func (r *Registry) raise(err error, m *method) *pyval.Exception {
	e := ToException(err)
	var frames []string
	if m != nil {
		frames = append(frames, m.frame)
	}
	if r.opts.DetailedTraceback {
		if _, isExc := err.(*pyval.Exception); !isExc {
			frames = append(frames, chainLines(err)...)
		}
	}
	SetTraceback(e, frames...)
	return e
}

// raisePanic converts a recovered panic and logs it: a panic is a bug in
// the server, unlike an error a method returns.
func (r *Registry) raisePanic(p any, stack []byte, m *method) *pyval.Exception {
	var frames []string
	if m != nil {
		frames = append(frames, m.frame)
	}
	e := PanicToException(p, stack, frames...)
	r.log.Error("dispatch: panic in remote call", "method", methodName(m), "panic", panicMessage(p))
	return e
}

func methodName(m *method) string {
	if m == nil {
		return ""
	}
	return m.qual
}

// Sentinel errors for local misuse of a registry (or daemon). The errors
// returned wrap both the sentinel and the Pyro4 exception, so Go callers
// test errors.Is(err, ErrAlreadyRegistered) while a remote method that
// returns such an error gives its Pyro4 client Pyro4's DaemonError.
var (
	// ErrAlreadyRegistered: the object, or the id, is registered already.
	ErrAlreadyRegistered = errors.New("already registered")
	// ErrNotRegistered: the object is not registered.
	ErrNotRegistered = errors.New("not registered")
)

// misuseError is a local error with the exception Pyro4 raises for it.
type misuseError struct {
	sentinel error
	exc      *pyval.Exception
}

func (e *misuseError) Error() string   { return e.exc.Message() }
func (e *misuseError) Unwrap() []error { return []error{e.sentinel, e.exc} }

// Misuse returns an error that errors.Is finds as sentinel and that a
// Pyro4 client receives as the exception class(msg). Packages built on the
// registry use it for their own local-misuse errors.
func Misuse(sentinel error, class, msg string) error {
	return &misuseError{sentinel: sentinel, exc: pyval.NewException(class, msg)}
}
