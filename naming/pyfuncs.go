package naming

import (
	"slices"
	"strings"
	"unicode"

	"github.com/gyro-rpc/gyro/pyval"
)

// The name server's remote methods take their arguments as Python values
// (any), because Pyro4's NameServer is dynamically typed and its callers
// rely on its exact TypeErrors. The helpers here reproduce the bits of
// Python those methods lean on: truthiness, type names, iteration, hashing.

// classError is an error with a Pyro4 exception class that also wraps the Go
// error behind it, so a Pyro4 client sees the class and message while Go
// callers can still errors.Is the cause (bbolt.ErrDatabaseNotOpen, say).
type classError struct {
	exc   *pyval.Exception
	cause error
}

func (e *classError) Error() string   { return e.exc.Error() }
func (e *classError) Unwrap() []error { return []error{e.exc, e.cause} }

func namingExc(msg string) *pyval.Exception { return pyval.NewException(pyval.ClassNamingError, msg) }
func namingError(msg string) error          { return namingExc(msg) }
func typeError(msg string) error            { return pyval.NewException(pyval.ClassTypeError, msg) }

// truthy is Python's bool(v).
func truthy(v any) bool { return pyval.Truthy(v) }

// pyType is type(v).__name__ as Python prints it in messages.
func pyType(v any) string {
	n := pyval.TypeName(v)
	if i := strings.LastIndexByte(n, '.'); i >= 0 {
		n = n[i+1:]
	}
	if e, ok := v.(*pyval.Exception); ok {
		n = e.Name()
	}
	return n
}

// unhashable reports the TypeError Python raises when v is used as a dict
// key or set member, or nil when v is hashable.
func unhashable(v any) error {
	switch x := v.(type) {
	case []any, pyval.Set, *pyval.Dict:
		return typeError("unhashable type: '" + pyType(v) + "'")
	case pyval.Tuple:
		for _, e := range x {
			if err := unhashable(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// iterate returns the elements Python's iter(v) yields (pyval.Iterate, and
// a Go []string), or the TypeError for a value that is not iterable.
// Strings are handled by the callers, which refuse them before iterating.
func iterate(v any) ([]any, error) {
	if x, ok := v.([]string); ok {
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, nil
	}
	if out, ok := pyval.Iterate(v); ok {
		return out, nil
	}
	return nil, typeError("'" + pyType(v) + "' object is not iterable")
}

// tagSet converts a metadata argument as Pyro4's NameServer does:
// None or any falsy value means no tags, a str is refused ("<what> should
// not be a str, ..."), anything else must be an iterable of hashable
// values. gyro stores tags as strings only, so strict makes a non-str tag a
// TypeError; without strict (searches) non-str tags are returned separately
// as other, since they can never match a stored tag. The tags come back
// sorted and without duplicates.
func tagSet(v any, what string, strict bool) (tags []string, other bool, err error) {
	if _, ok := v.(string); ok {
		return nil, false, typeError(what + " should not be a str, but another iterable (set, list, etc)")
	}
	if !truthy(v) {
		return nil, false, nil
	}
	elems, err := iterate(v)
	if err != nil {
		return nil, false, err
	}
	tags = make([]string, 0, len(elems))
	for _, e := range elems {
		if err := unhashable(e); err != nil {
			return nil, false, err
		}
		s, ok := e.(string)
		if !ok {
			if strict {
				return nil, false, typeError(what + " tags must be str, not " + pyType(e))
			}
			other = true
			continue
		}
		tags = append(tags, s)
	}
	return normTags(tags), other, nil
}

// normTags sorts tags and drops duplicates, in place.
func normTags(tags []string) []string {
	if len(tags) == 0 {
		return nil
	}
	slices.Sort(tags)
	return slices.Compact(tags)
}

// tagList returns tags as the Python list Pyro4's NameServer sends.
func tagList(tags []string) []any {
	out := make([]any, len(tags))
	for i, t := range tags {
		out[i] = t
	}
	return out
}

// isPySpace is Python's str.isspace for one character, which is what \s
// and \S mean in Pyro4's URI pattern.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}
