package serial

import (
	"context"
	"encoding/hex"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/pyval"
)

// pyMsgpackLoads decodes each hex payload in $PAYLOADS with the
// generation's own MsgpackSerializer.loads and prints a repr per line
// (exceptions as "class: args").
const pyMsgpackLoads = `
import os, datetime
if os.environ["GEN"] == "pyro4":
    import Pyro4.util
    ser = Pyro4.util.get_serializer("msgpack")
else:
    import Pyro5.serializers
    ser = Pyro5.serializers.serializers["msgpack"]
for h in os.environ["PAYLOADS"].split():
    v = ser.loads(bytes.fromhex(h))
    if isinstance(v, BaseException):
        print("%s.%s: %r" % (type(v).__module__, type(v).__name__, v.args))
    elif type(v).__name__ == "Proxy":
        print("Proxy %s %s %r" % (type(v).__module__, v._pyroUri, sorted(v._pyroMethods)))
    else:
        print(repr(v))
`

// TestMsgpackPythonLoadsGo checks that the real Pyro4 and Pyro5 read what
// gyro writes, for the values gyro can send that the golden payloads
// cannot show: Go times and dates, big ints, and each generation's class
// dicts.
func TestMsgpackPythonLoadsGo(t *testing.T) {
	pyrotest.RequireModule(t, "msgpack")
	huge, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	values := []any{
		time.Date(2024, 1, 2, 3, 4, 5, 250000000, time.UTC),
		Date{1999, time.December, 31},
		huge,
		pyval.Tuple{complex(0, 1), pyval.Set{"s"}, []byte{1}},
		pyval.NewException("Pyro4.errors.NamingError", "no such name"),
		pyval.ProxyRef{URI: pyval.MustParseURI("PYRO:x@127.0.0.1:1"), Methods: []string{"m"}},
	}
	want := map[string][]string{
		"pyro4": {
			"datetime.datetime(2024, 1, 2, 3, 4, 5, 250000)",
			"datetime.date(1999, 12, 31)",
			"-123456789012345678901234567890",
			"[1j, ['s'], b'\\x01']",
			"Pyro4.errors.NamingError: ('no such name',)",
			"Proxy Pyro4.core PYRO:x@127.0.0.1:1 ['m']",
		},
		"pyro5": {
			"datetime.datetime(2024, 1, 2, 3, 4, 5, 250000)",
			"datetime.date(1999, 12, 31)",
			"-123456789012345678901234567890",
			"[1j, ['s'], b'\\x01']",
			"Pyro5.errors.NamingError: ('no such name',)",
			"Proxy Pyro5.client PYRO:x@127.0.0.1:1 ['m']",
		},
	}
	for _, gen := range []struct {
		name  string
		codec Codec
		run   func(testing.TB, context.Context, string, ...string) (string, error)
	}{{"pyro4", Msgpack, pyrotest.Run}, {"pyro5", Msgpack5, pyrotest.Run5}} {
		var hexes []string
		for _, v := range values {
			b, err := gen.codec.Marshal(nil, v, nil)
			if err != nil {
				t.Fatalf("%s: Marshal(%#v): %v", gen.name, v, err)
			}
			hexes = append(hexes, hex.EncodeToString(b))
		}
		out, err := gen.run(t, context.Background(), pyMsgpackLoads, "GEN="+gen.name, "PAYLOADS="+strings.Join(hexes, " "), "TZ=UTC")
		if err != nil {
			t.Fatalf("%s: %v", gen.name, err)
		}
		got := strings.Split(strings.TrimSpace(out), "\n")
		for i, w := range want[gen.name] {
			if i >= len(got) || got[i] != w {
				t.Errorf("%s: value %d: Python read %q, want %q", gen.name, i, got[i:min(i+1, len(got))], w)
			}
		}
	}
}

// TestPyro5LoadsForPyro5 checks that the real Pyro5 rebuilds what gyro's
// serpent, json and marshal write after ForPyro5, and refuses it without:
// the reason a daemon must convert before answering a Pyro5 client.
func TestPyro5LoadsForPyro5(t *testing.T) {
	v := []any{pyval.NewException("Pyro4.errors.DaemonError", "unknown object"), pyval.MustParseURI("PYRO:o@127.0.0.1:1")}
	var lines []string
	for _, c := range []Codec{Serpent, JSON, Marshal} {
		id5, _ := ID4To5(c.ID())
		for _, conv := range []bool{true, false} {
			val := any(v)
			if conv {
				val = ForPyro5(v)
			}
			b, err := c.Marshal(nil, val, nil)
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, strconv.Itoa(id5)+":"+hex.EncodeToString(b))
		}
	}
	script := `
import os, Pyro5.serializers as S
for line in os.environ["PAYLOADS"].split():
    sid, h = line.split(":")
    try:
        v = S.serializers_by_id[int(sid)].loads(bytes.fromhex(h))
        print(type(v[0]).__module__ + "." + type(v[0]).__name__, v[0], type(v[1]).__name__, v[1])
    except Exception as x:
        print("refused:", x)
`
	out, err := pyrotest.Run5(t, context.Background(), script, "PAYLOADS="+strings.Join(lines, " "))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSpace(out), "\n")
	if len(got) != 6 {
		t.Fatalf("output:\n%s", out)
	}
	for i, g := range got {
		want := "Pyro5.errors.DaemonError unknown object URI PYRO:o@127.0.0.1:1"
		if i%2 == 1 {
			want = "refused: unsupported serialized class: Pyro4.errors.DaemonError"
		}
		if g != want {
			t.Errorf("payload %d: Pyro5 says %q, want %q", i, g, want)
		}
	}
}
