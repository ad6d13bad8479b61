package pyval

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Exception classes gyro raises and recognises. Pyro4 clients rebuild the
// builtins and Pyro4.errors classes into real Python exceptions.
const (
	ClassPyroError             = "Pyro4.errors.PyroError"
	ClassCommunicationError    = "Pyro4.errors.CommunicationError"
	ClassConnectionClosedError = "Pyro4.errors.ConnectionClosedError"
	ClassTimeoutError          = "Pyro4.errors.TimeoutError"
	ClassProtocolError         = "Pyro4.errors.ProtocolError"
	ClassMessageTooLargeError  = "Pyro4.errors.MessageTooLargeError"
	ClassSerializeError        = "Pyro4.errors.SerializeError"
	ClassNamingError           = "Pyro4.errors.NamingError"
	ClassDaemonError           = "Pyro4.errors.DaemonError"
	ClassSecurityError         = "Pyro4.errors.SecurityError"
	ClassMethodNotFoundError   = "Pyro4.errors.MethodNotFoundError"

	ClassException      = "builtins.Exception"
	ClassValueError     = "builtins.ValueError"
	ClassTypeError      = "builtins.TypeError"
	ClassAttributeError = "builtins.AttributeError"
	ClassKeyError       = "builtins.KeyError"
	ClassIndexError     = "builtins.IndexError"
	ClassRuntimeError   = "builtins.RuntimeError"
	ClassStopIteration  = "builtins.StopIteration"
)

// Exception is a Python exception as Pyro4 sends it: a class name such as
// "builtins.ValueError" or "Pyro4.errors.NamingError", the args tuple, and
// the instance attributes (where the server puts "_pyroTraceback").
//
// It is an error: a Go method returns one to raise that exact class in a
// Pyro4 client, and gyro's proxy returns one for every remote exception.
// errors.Is matches by class along Python's hierarchy, so
// errors.Is(err, pyval.ErrPyro) holds for a NamingError.
type Exception struct {
	Class      string
	Args       Tuple
	Attributes *Dict
}

// Sentinels for errors.Is. They carry only a class.
var (
	ErrPyro          = &Exception{Class: ClassPyroError}
	ErrCommunication = &Exception{Class: ClassCommunicationError}
	ErrNaming        = &Exception{Class: ClassNamingError}
	ErrDaemon        = &Exception{Class: ClassDaemonError}
	ErrSecurity      = &Exception{Class: ClassSecurityError}
	ErrSerialize     = &Exception{Class: ClassSerializeError}
	ErrProtocol      = &Exception{Class: ClassProtocolError}
	ErrTimeout       = &Exception{Class: ClassTimeoutError}
	ErrValue         = &Exception{Class: ClassValueError}
	ErrType          = &Exception{Class: ClassTypeError}
	ErrAttribute     = &Exception{Class: ClassAttributeError}
	ErrStopIteration = &Exception{Class: ClassStopIteration}
)

// NewException returns an exception of class with args. A bare name
// ("ValueError", "NamingError") is qualified the way Pyro4 qualifies it:
// Pyro4's own error names get "Pyro4.errors.", everything else "builtins.".
func NewException(class string, args ...any) *Exception {
	return &Exception{Class: QualifyClass(class), Args: Tuple(args)}
}

// Errorf returns an exception of class whose single argument is the
// formatted message.
func Errorf(class, format string, a ...any) *Exception {
	return NewException(class, fmt.Sprintf(format, a...))
}

// QualifyClass adds the module Pyro4 uses to a bare exception name.
func QualifyClass(class string) string {
	if strings.Contains(class, ".") {
		return class
	}
	if _, ok := pyroErrorParent[class]; ok {
		return "Pyro4.errors." + class
	}
	return "builtins." + class
}

// Name returns the class name without its module: "ValueError".
func (e *Exception) Name() string {
	if i := strings.LastIndexByte(e.Class, '.'); i >= 0 {
		return e.Class[i+1:]
	}
	return e.Class
}

// Message returns str(exc) as Python computes it: "" for no args, str(arg)
// for one, repr of the tuple otherwise (approximated with %v for non-str).
func (e *Exception) Message() string {
	if m, ok := e.unicodeMessage(); ok {
		return m
	}
	switch len(e.Args) {
	case 0:
		return ""
	case 1:
		if s, ok := e.Args[0].(string); ok {
			return s
		}
		return fmt.Sprint(e.Args[0])
	}
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		if s, ok := a.(string); ok {
			parts[i] = fmt.Sprintf("%q", s)
		} else {
			parts[i] = fmt.Sprint(a)
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// unicodeMessage is str() of a UnicodeEncodeError or UnicodeDecodeError
// with its five args (encoding, object, start, end, reason), which Python
// formats rather than showing the tuple.
func (e *Exception) unicodeMessage() (string, bool) {
	name := e.Name()
	if len(e.Args) != 5 || name != "UnicodeEncodeError" && name != "UnicodeDecodeError" {
		return "", false
	}
	enc, ok1 := e.Args[0].(string)
	start, ok2 := e.Args[2].(int64)
	end, ok3 := e.Args[3].(int64)
	reason, ok4 := e.Args[4].(string)
	if !ok1 || !ok2 || !ok3 || !ok4 || start < 0 || end <= start {
		return "", false
	}
	if name == "UnicodeDecodeError" {
		b, ok := e.Args[1].([]byte)
		if !ok || end > int64(len(b)) {
			return "", false
		}
		if end == start+1 {
			return fmt.Sprintf("'%s' codec can't decode byte 0x%02x in position %d: %s", enc, b[start], start, reason), true
		}
		return fmt.Sprintf("'%s' codec can't decode bytes in position %d-%d: %s", enc, start, end-1, reason), true
	}
	s, ok := e.Args[1].(string)
	if !ok {
		return "", false
	}
	if end > start+1 {
		return fmt.Sprintf("'%s' codec can't encode characters in position %d-%d: %s", enc, start, end-1, reason), true
	}
	var n int64
	for i := 0; i < len(s); n++ {
		r, size := decodeWTF8(s[i:])
		if n == start {
			var ch string
			switch {
			case r <= 0xff:
				ch = fmt.Sprintf("\\x%02x", r)
			case r <= 0xffff:
				ch = fmt.Sprintf("\\u%04x", r)
			default:
				ch = fmt.Sprintf("\\U%08x", r)
			}
			return fmt.Sprintf("'%s' codec can't encode character '%s' in position %d: %s", enc, ch, start, reason), true
		}
		i += size
	}
	return "", false
}

// decodeWTF8 is utf8.DecodeRuneInString that also decodes a surrogate
// encoded in three bytes, which is how the model holds one.
func decodeWTF8(s string) (rune, int) {
	if len(s) >= 3 && s[0] == 0xed && s[1]&0xe0 == 0xa0 && s[2]&0xc0 == 0x80 {
		return rune(s[0]&0x0f)<<12 | rune(s[1]&0x3f)<<6 | rune(s[2]&0x3f), 3
	}
	return utf8.DecodeRuneInString(s)
}

func (e *Exception) Error() string {
	if m := e.Message(); m != "" {
		return e.Name() + ": " + m
	}
	return e.Name()
}

// Traceback returns the remote traceback ("_pyroTraceback") joined into one
// string, or "" when there is none.
func (e *Exception) Traceback() string {
	v, ok := e.Attributes.Get("_pyroTraceback")
	if !ok {
		return ""
	}
	switch t := v.(type) {
	case string:
		return t
	case []any:
		var b strings.Builder
		for _, l := range t {
			if s, ok := l.(string); ok {
				b.WriteString(s)
			}
		}
		return b.String()
	}
	return ""
}

// SetAttr sets an instance attribute.
func (e *Exception) SetAttr(name string, v any) {
	if e.Attributes == nil {
		e.Attributes = NewDict(1)
	}
	e.Attributes.Set(name, v)
}

// Is reports whether target is an *Exception whose class is e's class or one
// of its Python base classes.
func (e *Exception) Is(target error) bool {
	t, ok := target.(*Exception)
	if !ok {
		return false
	}
	want := t.Name()
	for c := e.Name(); c != ""; c = parentClass(c) {
		if c == want {
			return true
		}
	}
	return false
}

// ClassDict returns the exception in Pyro4's wire form.
func (e *Exception) ClassDict() *Dict {
	attrs := e.Attributes
	if attrs == nil {
		attrs = NewDict(0)
	}
	args := e.Args
	if args == nil {
		args = Tuple{}
	}
	return DictOf("__class__", e.Class, "__exception__", true, "args", args, "attributes", attrs)
}

// ExceptionWrapper is Pyro4.futures._ExceptionWrapper: the entry a batch
// result ends with when one of its calls raised.
type ExceptionWrapper struct {
	Exception *Exception
}

// ClassDict returns the wrapper in Pyro4's wire form.
func (w ExceptionWrapper) ClassDict() *Dict {
	return DictOf("__class__", "Pyro4.futures._ExceptionWrapper", "exception", w.Exception)
}

// pyroErrorParent is Pyro4.errors' hierarchy.
var pyroErrorParent = map[string]string{
	"PyroError":             "Exception",
	"CommunicationError":    "PyroError",
	"ConnectionClosedError": "CommunicationError",
	"TimeoutError":          "CommunicationError",
	"ProtocolError":         "CommunicationError",
	"MessageTooLargeError":  "ProtocolError",
	"SerializeError":        "ProtocolError",
	"NamingError":           "PyroError",
	"DaemonError":           "PyroError",
	"SecurityError":         "PyroError",
	"MethodNotFoundError":   "AttributeError",
}

// builtinParent is the part of Python's builtin exception hierarchy that
// remote calls meet; every name here is a real builtin exception class.
var builtinParent = map[string]string{
	"BaseException": "", "Exception": "BaseException",
	"ArithmeticError": "Exception", "ZeroDivisionError": "ArithmeticError",
	"OverflowError": "ArithmeticError", "FloatingPointError": "ArithmeticError",
	"AssertionError": "Exception", "AttributeError": "Exception",
	"BufferError": "Exception", "EOFError": "Exception", "ImportError": "Exception",
	"ModuleNotFoundError": "ImportError", "LookupError": "Exception",
	"IndexError": "LookupError", "KeyError": "LookupError", "MemoryError": "Exception",
	"NameError": "Exception", "UnboundLocalError": "NameError", "OSError": "Exception",
	"IOError": "Exception", "EnvironmentError": "Exception",
	"ConnectionError": "OSError", "BrokenPipeError": "ConnectionError",
	"ConnectionAbortedError": "ConnectionError", "ConnectionRefusedError": "ConnectionError",
	"ConnectionResetError": "ConnectionError", "FileExistsError": "OSError",
	"FileNotFoundError": "OSError", "InterruptedError": "OSError",
	"IsADirectoryError": "OSError", "NotADirectoryError": "OSError",
	"PermissionError": "OSError", "ProcessLookupError": "OSError",
	"BlockingIOError": "OSError", "ChildProcessError": "OSError",
	"ReferenceError": "Exception", "RuntimeError": "Exception",
	"NotImplementedError": "RuntimeError", "RecursionError": "RuntimeError",
	"StopIteration": "Exception", "StopAsyncIteration": "Exception",
	"SyntaxError": "Exception", "IndentationError": "SyntaxError",
	"TabError": "IndentationError", "SystemError": "Exception",
	"TypeError": "Exception", "ValueError": "Exception",
	"UnicodeError": "ValueError", "UnicodeDecodeError": "UnicodeError",
	"UnicodeEncodeError": "UnicodeError", "UnicodeTranslateError": "UnicodeError",
	"Warning": "Exception", "UserWarning": "Warning", "DeprecationWarning": "Warning",
	"RuntimeWarning": "Warning", "GeneratorExit": "BaseException",
	"KeyboardInterrupt": "BaseException", "SystemExit": "BaseException",
	"TimeoutError": "OSError",
}

func parentClass(name string) string {
	if p, ok := pyroErrorParent[name]; ok {
		return p
	}
	return builtinParent[name]
}
