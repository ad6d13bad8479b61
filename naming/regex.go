package naming

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// Pyro4's NameServer filters names with Python's re.match. This file
// translates Python's re syntax into RE2's; the package documentation lists
// the rules and what RE2 cannot do.

// errRegexUnsupported is the cause of a Python construct RE2 lacks.
var errRegexUnsupported = errors.New("not supported by gyro's RE2 regex dialect")

// regexCache keeps recently compiled patterns: clients that list by regex
// tend to repeat the same few.
var regexCache struct {
	sync.Mutex
	m map[string]*regexp.Regexp
}

const regexCacheSize = 64

// compileMatch compiles a Python re.match pattern into an RE2 regexp
// anchored at the start. Its errors are NamingError("invalid regex: ...").
func compileMatch(pattern string) (*regexp.Regexp, error) {
	regexCache.Lock()
	re, ok := regexCache.m[pattern]
	regexCache.Unlock()
	if ok {
		return re, nil
	}
	tr, err := translateRegex(pattern)
	if err != nil {
		return nil, &classError{exc: namingExc("invalid regex: " + err.Error()), cause: err}
	}
	// The translation compiles alone first: wrapping "a)|(b" in \A(?:...)
	// would otherwise turn an error into a different, valid pattern.
	if _, err := regexp.Compile(tr); err != nil {
		return nil, &classError{exc: namingExc("invalid regex: " + regexMessage(err)), cause: err}
	}
	re, err = regexp.Compile(`\A(?:` + tr + `)`)
	if err != nil {
		return nil, &classError{exc: namingExc("invalid regex: " + regexMessage(err)), cause: err}
	}
	regexCache.Lock()
	if regexCache.m == nil || len(regexCache.m) >= regexCacheSize {
		regexCache.m = make(map[string]*regexp.Regexp, regexCacheSize)
	}
	regexCache.m[pattern] = re
	regexCache.Unlock()
	return re, nil
}

// regexMessage drops Go's "error parsing regexp: " prefix.
func regexMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

// translateRegex rewrites Python re syntax into RE2 syntax (see above).
func translateRegex(p string) (string, error) {
	ascii := asciiFlag.MatchString(p)
	var b strings.Builder
	b.Grow(len(p) + 8)
	inClass := false
	classStart := 0 // index in p just after "[" or "[^"
	classOpen := 0  // index of the "[" itself
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\\':
			n, err := translateEscape(&b, p, i, inClass, ascii)
			if err != nil {
				return "", err
			}
			i += n
			continue
		case inClass:
			switch {
			case c == ']' && i != classStart:
				inClass = false
				b.WriteByte(']')
			case c == '[':
				b.WriteString(`\[`) // Python: a literal; RE2: maybe [:alpha:]
			default:
				b.WriteByte(c)
			}
			i++
			continue
		case c == '[':
			inClass = true
			classOpen = i
			b.WriteByte('[')
			i++
			if i < len(p) && p[i] == '^' {
				b.WriteByte('^')
				i++
			}
			classStart = i
			continue
		case c == '$':
			// Python's $ also matches before a newline that ends the name
			b.WriteString(`(?:$|\n\z)`)
			i++
			continue
		case c == '(' && strings.HasPrefix(p[i:], "(?"):
			n, err := translateGroup(&b, p, i)
			if err != nil {
				return "", err
			}
			i += n
			continue
		case c == '{' && strings.HasPrefix(p[i:], "{,"):
			// Python's {,n} is {0,n}; RE2 would read it as literal text
			j := i + 2
			for j < len(p) && p[j] >= '0' && p[j] <= '9' {
				j++
			}
			if j > i+2 && j < len(p) && p[j] == '}' {
				b.WriteString("{0,")
				b.WriteString(p[i+2 : j+1])
				i = j + 1
				continue
			}
		}
		b.WriteByte(c)
		i++
	}
	if inClass {
		return "", fmt.Errorf("unterminated character set at position %d", classOpen)
	}
	return b.String(), nil
}

// asciiFlag finds an (?a) flag group, which makes Python's classes ASCII.
var asciiFlag = regexp.MustCompile(`\(\?[aiLmsux-]*a[aiLmsux-]*[:)]`)

// Python's \d, \w and \s as RE2 class contents: Unicode as in Python 3's
// str patterns, or ASCII under (?a). RE2's own \s lacks \v.
const (
	uniDigit = `\p{Nd}`
	uniWord  = `\p{L}\p{N}_`
	uniSpace = `\t\n\v\f\r \x1c-\x1f\x85\p{Z}`
	ascSpace = `\t\n\v\f\r `
)

// translateEscape translates the escape at p[i] and returns its length.
func translateEscape(b *strings.Builder, p string, i int, inClass, ascii bool) (int, error) {
	if i+1 >= len(p) {
		return 0, fmt.Errorf("bad escape (end of pattern) at position %d", i)
	}
	c := p[i+1]
	if cls, ok := classEscape(c, inClass, ascii); ok {
		b.WriteString(cls)
		return 2, nil
	}
	switch {
	case c >= utf8.RuneSelf:
		// Python: an escaped non-ASCII character is itself; RE2 refuses it
		r, n := utf8.DecodeRuneInString(p[i+1:])
		b.WriteString(regexp.QuoteMeta(string(r)))
		return 1 + n, nil
	case c == 'Z' && !inClass:
		b.WriteString(`\z`)
		return 2, nil
	case c == 'z':
		return 0, errors.New(`bad escape \z`)
	case c == 'b' && inClass:
		b.WriteString(`\x08`) // backspace inside a class, as in Python
		return 2, nil
	case c == 'u' || c == 'U':
		n := 4
		if c == 'U' {
			n = 8
		}
		hex := p[i+2 : min(len(p), i+2+n)]
		if len(hex) != n || strings.Trim(hex, "0123456789abcdefABCDEF") != "" {
			return 0, errors.New(`incomplete escape \` + string(c) + hex)
		}
		b.WriteString(`\x{` + hex + `}`)
		return 2 + n, nil
	case c == 'N':
		return 0, errors.New(`named character escapes \N{...} are ` + errRegexUnsupported.Error())
	case c >= '1' && c <= '9' && !inClass && !(i+3 < len(p) && isOctal(p[i+1]) && isOctal(p[i+2]) && isOctal(p[i+3])):
		return 0, errors.New("backreferences are " + errRegexUnsupported.Error())
	}
	b.WriteByte('\\')
	b.WriteByte(c)
	return 2, nil
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// classEscape translates \d \D \w \W \s \S.
func classEscape(c byte, inClass, ascii bool) (string, bool) {
	var set string
	neg := false
	switch c {
	case 'd', 'D':
		if ascii {
			return "", false // RE2's \d is ASCII already
		}
		set, neg = uniDigit, c == 'D'
	case 'w', 'W':
		if ascii {
			return "", false
		}
		set, neg = uniWord, c == 'W'
	case 's', 'S':
		set, neg = uniSpace, c == 'S'
		if ascii {
			set = ascSpace
		}
	default:
		return "", false
	}
	switch {
	case inClass && neg:
		return "", false // a negated set cannot nest in a class: RE2's ASCII one
	case inClass:
		return set, true
	case neg:
		return "[^" + set + "]", true
	}
	return "[" + set + "]", true
}

// translateGroup handles "(?" constructs at p[i] and returns how much of p
// it consumed.
func translateGroup(b *strings.Builder, p string, i int) (int, error) {
	rest := p[i+2:]
	switch {
	case strings.HasPrefix(rest, "#"):
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return 0, errors.New("missing ), unterminated comment")
		}
		return 2 + end + 1, nil
	case strings.HasPrefix(rest, "="), strings.HasPrefix(rest, "!"),
		strings.HasPrefix(rest, "<="), strings.HasPrefix(rest, "<!"):
		return 0, errors.New("look-ahead and look-behind are " + errRegexUnsupported.Error())
	case strings.HasPrefix(rest, "P="):
		return 0, errors.New("backreferences are " + errRegexUnsupported.Error())
	case strings.HasPrefix(rest, "("):
		return 0, errors.New("conditional groups are " + errRegexUnsupported.Error())
	case strings.HasPrefix(rest, ">"):
		return 0, errors.New("atomic groups are " + errRegexUnsupported.Error())
	case strings.HasPrefix(rest, ":"), strings.HasPrefix(rest, "P<"), strings.HasPrefix(rest, "<"):
		b.WriteString("(?")
		return 2, nil
	}
	// inline flags: (?flags) or (?flags-flags:...)
	j := 0
	var flags strings.Builder
	for j < len(rest) && rest[j] != ')' && rest[j] != ':' {
		switch f := rest[j]; f {
		case 'i', 'm', 's', '-':
			flags.WriteByte(f)
		case 'a', 'u':
			// ASCII is what gyro does anyway; Unicode is Python's default
		case 'x':
			return 0, errors.New("verbose patterns (?x) are " + errRegexUnsupported.Error())
		case 'L':
			return 0, errors.New("bad inline flag: cannot use 'L' flag with a str pattern")
		default:
			return 0, errors.New("unknown flag " + string(f))
		}
		j++
	}
	if j == len(rest) {
		return 0, errors.New("missing -, : or )")
	}
	f := flags.String()
	if f == "" || f == "-" {
		if rest[j] == ')' {
			return 2 + j + 1, nil // only dropped flags: nothing left
		}
		b.WriteString("(?:")
		return 2 + j + 1, nil
	}
	b.WriteString("(?" + f + string(rest[j]))
	return 2 + j + 1, nil
}
