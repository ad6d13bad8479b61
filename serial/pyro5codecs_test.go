package serial

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/pyval"
)

var codecs5 = []Codec{Serpent5, Marshal5, JSON5}

// classValues5 are the values that travel as class dicts, in gyro's model.
func classValues5() []any {
	uri := pyval.MustParseURI("PYRO:obj@127.0.0.1:5555")
	return []any{
		uri,
		pyval.NewException("Pyro4.errors.NamingError", "unknown name: x"),
		pyval.NewException("ValueError", "y"),
		pyval.ProxyRef{URI: uri, Handshake: "hello"},
		pyval.ExceptionWrapper{Exception: pyval.NewException("Pyro4.errors.CommunicationError", "z")},
	}
}

// checkClassValues5 asserts v decoded to classValues5's values.
func checkClassValues5(t *testing.T, v any) {
	t.Helper()
	l, ok := v.([]any)
	if !ok || len(l) != 5 {
		t.Fatalf("decoded %#v", v)
	}
	if u, ok := l[0].(pyval.URI); !ok || u.String() != "PYRO:obj@127.0.0.1:5555" {
		t.Errorf("uri decoded as %#v", l[0])
	}
	if e, ok := l[1].(*pyval.Exception); !ok || e.Class != "Pyro4.errors.NamingError" || e.Message() != "unknown name: x" {
		t.Errorf("NamingError decoded as %#v", l[1])
	}
	if e, ok := l[2].(*pyval.Exception); !ok || e.Class != "builtins.ValueError" && e.Class != "ValueError" || e.Message() != "y" {
		t.Errorf("ValueError decoded as %#v", l[2])
	}
	if p, ok := l[3].(pyval.ProxyRef); !ok || p.URI.String() != "PYRO:obj@127.0.0.1:5555" {
		t.Errorf("proxy decoded as %#v", l[3])
	}
	if w, ok := l[4].(pyval.ExceptionWrapper); !ok || w.Exception == nil || w.Exception.Class != "Pyro4.errors.CommunicationError" {
		t.Errorf("exception wrapper decoded as %#v", l[4])
	}
}

// TestPyro5CodecsRoundTrip: Serpent5, Marshal5 and JSON5 write Pyro5's
// class names and read them back into gyro's values, in plain values and
// in call arguments.
func TestPyro5CodecsRoundTrip(t *testing.T) {
	for _, c := range codecs5 {
		t.Run(c.Name(), func(t *testing.T) {
			b, err := c.Marshal(nil, classValues5(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "Pyro4.") || !strings.Contains(string(b), "Pyro5.errors.NamingError") {
				t.Errorf("encoded: %s", b)
			}
			v, err := c.Unmarshal(b)
			if err != nil {
				t.Fatal(err)
			}
			checkClassValues5(t, v)

			kw := pyval.DictOf("k", pyval.MustParseURI("PYRO:obj@127.0.0.1:5555"))
			b, err = c.MarshalCall(nil, &Call{Object: "o", Method: "m", Args: classValues5(), Kwargs: kw}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "Pyro4.") {
				t.Errorf("encoded call: %s", b)
			}
			var call Call
			if err := c.UnmarshalCall(b, &call); err != nil {
				t.Fatal(err)
			}
			checkClassValues5(t, call.Args)
			if u, _ := call.Kwargs.Get("k"); u != pyval.MustParseURI("PYRO:obj@127.0.0.1:5555") {
				t.Errorf("kwarg decoded as %#v", u)
			}
		})
	}
}

// TestPyro5CodecsRefusePyro4Names: a Pyro5 peer cannot send Pyro4's class
// names (Pyro5 raises SerializeError for them), and gyro's Pyro5 codecs
// refuse them the same way.
func TestPyro5CodecsRefusePyro4Names(t *testing.T) {
	for _, c := range []struct{ pyro4, pyro5 Codec }{{Serpent, Serpent5}, {Marshal, Marshal5}, {JSON, JSON5}} {
		t.Run(c.pyro5.Name(), func(t *testing.T) {
			b, err := c.pyro4.Marshal(nil, []any{pyval.NewException("Pyro4.errors.NamingError", "x")}, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.pyro5.Unmarshal(b)
			if err == nil || !strings.Contains(err.Error(), "unsupported serialized class: Pyro4.errors.NamingError") {
				t.Errorf("Unmarshal of a Pyro4 class name: %v", err)
			}
		})
	}
}

// TestPyro5CodecsReadRealPyro5 decodes what the real Pyro5 writes for the
// same values, in each serializer, as a value and as call arguments.
func TestPyro5CodecsReadRealPyro5(t *testing.T) {
	// Pyro5's marshal serializer converts top-level values and call
	// arguments only (a URI inside a list is "unmarshallable"), so each
	// value is dumped on its own, then all of them as call arguments.
	script := `
import base64
from Pyro5 import serializers, errors, core, client
uri = core.URI("PYRO:obj@127.0.0.1:5555")
proxy = client.Proxy(uri)
wrapper = core._ExceptionWrapper(errors.CommunicationError("z"))
vals = [uri, errors.NamingError("unknown name: x"), ValueError("y"), proxy, wrapper]
b64 = lambda b: base64.b64encode(b).decode()
for name in ("serpent", "marshal", "json"):
    s = serializers.serializers[name]
    print(name, b64(s.dumpsCall("o", "m", tuple(vals), {"k": uri})), *[b64(s.dumps(v)) for v in vals])
`
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := pyrotest.Run5(t, ctx, script)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	byName := map[string]Codec{"serpent": Serpent5, "marshal": Marshal5, "json": JSON5}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("output:\n%s", out)
	}
	for _, line := range lines {
		f := strings.Fields(line)
		c := byName[f[0]]
		t.Run(f[0], func(t *testing.T) {
			var raw [][]byte
			for _, field := range f[1:] {
				b, err := base64.StdEncoding.DecodeString(field)
				if err != nil {
					t.Fatal(err)
				}
				raw = append(raw, b)
			}
			if len(raw) != 6 {
				t.Fatalf("%d payloads", len(raw))
			}
			call := raw[0]
			var vals []any
			for _, b := range raw[1:] {
				v, err := c.Unmarshal(b)
				if err != nil {
					t.Fatalf("Unmarshal: %v\n%s", err, b)
				}
				vals = append(vals, v)
			}
			checkClassValues5(t, vals)
			var cl Call
			if err := c.UnmarshalCall(call, &cl); err != nil {
				t.Fatalf("UnmarshalCall: %v\n%s", err, call)
			}
			checkClassValues5(t, cl.Args)
			if u, _ := cl.Kwargs.Get("k"); u != pyval.MustParseURI("PYRO:obj@127.0.0.1:5555") {
				t.Errorf("kwarg decoded as %#v", u)
			}
		})
	}
}

// TestForPyro5GoValues: class-dict values inside Go values outside the
// model (a slice of URIs, a struct holding an exception) reach a Pyro5
// peer with Pyro5's names too; plain Go values pass unchanged.
func TestForPyro5GoValues(t *testing.T) {
	u := pyval.MustParseURI("PYRO:obj@127.0.0.1:5555")
	type result struct {
		Err  *pyval.Exception
		Name string
	}
	for _, v := range []any{
		[]pyval.URI{u},
		map[string]pyval.URI{"a": u},
		result{Err: pyval.NewException("Pyro4.errors.NamingError", "x"), Name: "n"},
		[]any{[]*pyval.URI{&u}},
	} {
		for _, c := range codecs5 {
			b, err := c.Marshal(nil, v, nil)
			if err != nil {
				t.Fatalf("%s %T: %v", c.Name(), v, err)
			}
			if strings.Contains(string(b), "Pyro4.") || !strings.Contains(string(b), "Pyro5.") {
				t.Errorf("%s %T: %s", c.Name(), v, b)
			}
		}
	}
	plain := []string{"a", "b"}
	if got, ok := ForPyro5(plain).([]string); !ok || &got[0] != &plain[0] {
		t.Errorf("ForPyro5 changed a []string: %#v", ForPyro5(plain))
	}
}
