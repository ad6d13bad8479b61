package proxy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/pyval"
)

// TestMisuseErrors checks the errors of local misuse: a Go sentinel for
// errors.Is, the Pyro4 class where Pyro4 raises one for the same mistake,
// and Go's style of text: one package prefix, lower case.
func TestMisuseErrors(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{})
	ctx := testCtx(t)
	tests := []struct {
		name     string
		err      func() error
		sentinel error
		class    string // "" when Pyro4 has no exception for it
	}{
		{"invalid uri", func() error { _, err := proxy.New("nonsense", proxy.Options{}); return err },
			pyval.ErrInvalidURI, ""},
		{"unknown serializer", func() error {
			_, err := proxy.New(f.URI(), proxy.Options{Config: cfgWith(func(c *config.Config) { c.Serializer = "pickle" })})
			return err
		}, proxy.ErrSerializer, ""},
		{"short annotation key", func() error { return p.SetAnnotation("ab", nil) }, proxy.ErrAnnotationKey, ""},
		{"reserved annotation key", func() error { return p.SetAnnotation("HMAC", nil) }, proxy.ErrAnnotationKey, ""},
		{"unexposed method", func() error { _, err := p.Call(ctx, "nosuch"); return err },
			proxy.ErrNotExposed, pyval.ClassAttributeError},
		{"private method", func() error { _, err := p.Call(ctx, "_private"); return err },
			proxy.ErrNotExposed, pyval.ClassAttributeError},
		{"unexposed attribute", func() error { _, err := p.Get(ctx, "nosuch"); return err },
			proxy.ErrNotExposed, pyval.ClassAttributeError},
		{"not a stream", func() error { _, err := p.Stream(ctx, "echo", 1); return err },
			proxy.ErrNotStream, pyval.ClassTypeError},
		{"no resolver", func() error {
			q, err := proxy.New("PYRONAME:thing", proxy.Options{})
			if err != nil {
				return err
			}
			return q.Bind(ctx)
		}, proxy.ErrNoResolver, ""},
		{"unserializable argument", func() error { _, err := p.Call(ctx, "echo", make(chan int)); return err },
			pyval.ErrSerialize, pyval.ClassSerializeError},
		{"result of another type", func() error { _, err := proxy.As[int](p.Call(ctx, "echo", "x")); return err },
			pyval.ErrConvert, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("error %v does not match %v", err, tt.sentinel)
			}
			var exc *pyval.Exception
			if got := errors.As(err, &exc); got != (tt.class != "") || (got && exc.Class != tt.class) {
				t.Errorf("error %v: Pyro4 exception %v, want class %q", err, exc, tt.class)
			}
			checkGoText(t, err.Error())
		})
	}
}

// checkGoText checks a Go error text: "proxy: " or "pyval: " once, then
// lower case.
func checkGoText(t *testing.T, msg string) {
	t.Helper()
	rest, ok := strings.CutPrefix(msg, "proxy: ")
	if !ok {
		rest, ok = strings.CutPrefix(msg, "pyval: ")
	}
	if !ok {
		t.Errorf("%q has no package prefix", msg)
		return
	}
	if strings.Contains(rest, "proxy: ") || strings.Contains(rest, "pyval: ") {
		t.Errorf("%q repeats a prefix", msg)
	}
	if r := []rune(rest); len(r) == 0 || unicode.IsUpper(r[0]) {
		t.Errorf("%q is capitalised or empty after its prefix", msg)
	}
}

// TestRemoteErrorText checks that an exception raised remotely keeps its
// Python class and text, with nothing added.
func TestRemoteErrorText(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{})
	_, err := p.Call(context.Background(), "boom")
	var exc *pyval.Exception
	if !errors.As(err, &exc) || err != error(exc) {
		t.Fatalf("remote error %v (%T) is not a bare *pyval.Exception", err, err)
	}
	if err.Error() != "ValueError: boom" {
		t.Errorf("remote error text %q", err)
	}
}
