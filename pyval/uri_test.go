package pyval

import (
	"errors"
	"testing"
)

func TestParseURI(t *testing.T) {
	tests := []struct {
		in, want string // want "" means an error
		u        URI
	}{
		{"PYRO:obj@localhost:9999", "PYRO:obj@localhost:9999", URI{"PYRO", "obj", "", "localhost", 9999}},
		{"pyro:obj@localhost:9999", "PYRO:obj@localhost:9999", URI{"PYRO", "obj", "", "localhost", 9999}},
		{"PYRO:a@b@h:1", "PYRO:a@b@h:1", URI{"PYRO", "a", "", "b@h", 1}},
		{"PYRO:obj@[::1]:5000", "PYRO:obj@[::1]:5000", URI{"PYRO", "obj", "", "::1", 5000}},
		{"PYRO:obj@./u:/tmp/sock", "PYRO:obj@./u:/tmp/sock", URI{"PYRO", "obj", "/tmp/sock", "", 0}},
		{"PYRONAME:thing", "PYRONAME:thing", URI{"PYRONAME", "thing", "", "", 0}},
		{"PYRONAME:thing@host", "PYRONAME:thing@host:9090", URI{"PYRONAME", "thing", "", "host", 9090}},
		{"PYROMETA:a,b@host:1", "PYROMETA:a,b@host:1", URI{"PYROMETA", "a,b", "", "host", 1}},
		{"PYRO:obj", "", URI{}},
		{"PYRO:obj@host", "", URI{}},
		{"PYRO:0@:00", "", URI{}},
		{"PYRO:obj@./u:", "", URI{}},
		{"HTTP:obj@host:1", "", URI{}},
		{"PYRO:o bj@host:1", "", URI{}},
		{"PYRO:obj@host:99999", "", URI{}},
		{"nonsense", "", URI{}},
	}
	for _, tt := range tests {
		u, err := ParseURI(tt.in)
		if tt.want == "" {
			if !errors.Is(err, ErrInvalidURI) {
				t.Errorf("ParseURI(%q) = %v, %v; want ErrInvalidURI", tt.in, u, err)
			}
			continue
		}
		if err != nil || u != tt.u || u.String() != tt.want {
			t.Errorf("ParseURI(%q) = %+v (%s), %v; want %+v (%s)", tt.in, u, u, err, tt.u, tt.want)
		}
	}
}

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"OnewayEcho": "oneway_echo", "URIFor": "uri_for", "Echo2": "echo2",
		"HTTPServer": "http_server", "ID": "id", "GetNextStreamItem": "get_next_stream_item",
	} {
		if got := SnakeCase(in); got != want {
			t.Errorf("SnakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExceptionIs(t *testing.T) {
	e := NewException("NamingError", "unknown name: x")
	if e.Class != ClassNamingError || !errors.Is(e, ErrPyro) || !errors.Is(e, ErrNaming) || errors.Is(e, ErrCommunication) {
		t.Fatalf("NamingError hierarchy wrong: %s", e.Class)
	}
	if k := NewException("KeyError", "k"); !errors.Is(k, &Exception{Class: "builtins.LookupError"}) || k.Error() != "KeyError: k" {
		t.Fatalf("KeyError: %v", k)
	}
}

func TestFromClassDict(t *testing.T) {
	tests := []struct {
		d     *Dict
		class string // of the error, "" for success
	}{
		{DictOf("__class__", "Pyro4.core.URI", "state", Tuple{"PYRO", "o", nil, "h", int64(1)}), ""},
		{DictOf("__class__", "builtins.ValueError", "__exception__", true, "args", Tuple{"x"}, "attributes", NewDict(0)), ""},
		{DictOf("__class__", "Pyro4.errors.NamingError", "__exception__", true, "args", Tuple{"x"}), ""},
		{DictOf("__class__", "Pyro4.errors.NoSuchError", "__exception__", true), ClassAttributeError},
		{DictOf("__class__", "__main__.Evil"), ClassSecurityError},
		{DictOf("__class__", "mymodule.MyError", "__exception__", true), ClassSerializeError},
		{DictOf("__class__", "builtins.int"), ClassSerializeError},
	}
	for _, tt := range tests {
		_, err := FromClassDict(tt.d, false)
		var e *Exception
		switch {
		case tt.class == "" && err != nil:
			t.Errorf("%v: %v", tt.d.Items()[0].Value, err)
		case tt.class != "" && (!errors.As(err, &e) || e.Class != tt.class):
			t.Errorf("%v: got %v, want %s", tt.d.Items()[0].Value, err, tt.class)
		}
	}
}
