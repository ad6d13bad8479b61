package echo

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// TestQuietCallsRenderNothing: a quiet echo server renders no repr of the
// message (Pyro4's only does when verbose), so echo and oneway_echo do not
// allocate.
func TestQuietCallsRenderNothing(t *testing.T) {
	var out bytes.Buffer
	s := New(&out, false, nil)
	var msg any = strings.Repeat("x", 64)
	if n := testing.AllocsPerRun(100, func() { s.OnewayEcho(msg) }); n != 0 {
		t.Errorf("oneway_echo: %v allocs per call, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { s.Echo(msg) }); n != 0 {
		t.Errorf("echo: %v allocs per call, want 0", n)
	}
	if out.Len() != 0 {
		t.Errorf("quiet server printed %q", out.String())
	}
}

// TestVerboseCallsPrintRepr: a verbose echo server prints each call with
// the Python repr of its message, as Pyro4's does.
func TestVerboseCallsPrintRepr(t *testing.T) {
	var out bytes.Buffer
	s := New(&out, true, nil)
	if got := s.Echo("it's"); got != "it's" {
		t.Errorf("echo returned %v", got)
	}
	if got := s.OnewayEcho([]any{int64(1), "a"}); got != "bogus return value" {
		t.Errorf("oneway_echo returned %q", got)
	}
	want := regexp.MustCompile(`^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} - echo: "it's"\n` +
		`\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} - oneway_echo: \[1,'a'\]\n$`)
	if !want.MatchString(out.String()) {
		t.Errorf("verbose output %q does not match %v", out.String(), want)
	}
}
