package serial

import (
	"context"
	"encoding/hex"
	"math/big"
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
