package naming

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/wire"
)

// pyro5SerializeFailure tells the results where Pyro5's own name server
// fails to serialize its reply (a frozenset in json or msgpack, a URI in a
// tuple in marshal), which gyro's serializers send fine.
func pyro5SerializeFailure(res string) bool {
	return res == "EXC builtins.ValueError: unmarshallable object" ||
		strings.Contains(res, "don't know how to serialize class <class 'frozenset'>")
}

// TestPyro5ClientsMatchPyro5NS runs the same Pyro5 client script against
// Pyro5's own name server and against gyro's, once per serializer, and
// requires identical results for every call.
func TestPyro5ClientsMatchPyro5NS(t *testing.T) {
	env := pyrotest.Pyro5Env(t)
	for _, ser := range []string{"serpent", "json", "marshal", "msgpack"} {
		t.Run(ser, func(t *testing.T) {
			if ser == "msgpack" {
				pyrotest.RequireModule(t, "msgpack")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			p := pyrotest.Start5(t, []string{"-m", "Pyro5.nameserver", "-n", "127.0.0.1", "-p", "0", "-x"}, uriLine)
			want, err := pyrotest.Run(t, ctx, pyScript(t, "testdata/ns5_client.py", p.Match[1], ser), env...)
			if err != nil {
				t.Fatalf("against Pyro5's NS: %v\n%s", err, want)
			}
			ns := startNS(t, nil)
			got, err := pyrotest.Run(t, ctx, pyScript(t, "testdata/ns5_client.py", ns.URI.String(), ser), env...)
			if err != nil {
				t.Fatalf("against gyro's NS: %v\n%s", err, got)
			}
			wantM, order := parseLines(t, want)
			gotM, _ := parseLines(t, got)
			if len(order) < 30 {
				t.Fatalf("only %d results from Pyro5's NS:\n%s", len(order), want)
			}
			for _, label := range order {
				if pyro5SerializeFailure(wantM[label]) && !strings.HasPrefix(gotM[label], "EXC ") {
					continue
				}
				if gotM[label] != wantM[label] {
					t.Errorf("%s:\n  gyro:  %s\n  Pyro5: %s", label, gotM[label], wantM[label])
				}
			}
			if len(gotM) != len(wantM) {
				t.Errorf("gyro run printed %d results, Pyro5 run %d", len(gotM), len(wantM))
			}
		})
	}
}

// TestPyro5AndPyro4ShareGyroNS: a Pyro5 daemon registers its object in
// gyro's name server, a Pyro5 client calls it through a PYRONAME, and a
// Pyro4 client sees the same registration.
func TestPyro5AndPyro4ShareGyroNS(t *testing.T) {
	env := pyrotest.Pyro5Env(t)
	ns := startNS(t, nil)
	host, port := ns.URI.Host, strconv.Itoa(ns.URI.Port)
	server := pyrotest.Start5(t, []string{"-c", `
import Pyro5.api
@Pyro5.api.expose
class Thing:
    def method(self, arg):
        return arg * 2
d = Pyro5.api.Daemon(host="127.0.0.1")
uri = d.register(Thing)
ns = Pyro5.api.locate_ns("` + host + `", ` + port + `)
ns.register("example.thing", uri, metadata={"kind:thing"})
print("registered", uri, flush=True)
d.requestLoop()
`}, regexp.MustCompile(`^registered (PYRO:\S+)$`))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := pyrotest.Run(t, ctx, `
import Pyro5.api
ns = Pyro5.api.locate_ns("`+host+`", `+port+`)
print(ns.yplookup(meta_all=["kind:thing"], return_metadata=False))
print(Pyro5.api.Proxy("PYRONAME:example.thing@`+host+`:`+port+`").method(21))
`, env...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if want := "{'example.thing': '" + server.Match[1] + "'}\n42\n"; out != want {
		t.Errorf("Pyro5 client printed %q, want %q", out, want)
	}
	out, err = pyrotest.Run(t, ctx, `
import Pyro4
ns = Pyro4.locateNS("`+host+`", `+port+`)
print(ns.list(metadata_all=["kind:thing"]))
print(sorted(ns._pyroMethods))
`)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := "{'example.thing': '" + server.Match[1] + "'}\n['count', 'list', 'lookup', 'ping', 'register', 'remove', 'set_metadata']\n"
	if out != want {
		t.Errorf("Pyro4 client printed %q, want %q", out, want)
	}
}

// TestPyro5LocatesGyroNSByBroadcast: Pyro5's locate_ns finds gyro's name
// server through the broadcast server.
func TestPyro5LocatesGyroNSByBroadcast(t *testing.T) {
	env := pyrotest.Pyro5Env(t)
	ns := startNS(t, nil)
	bc := startBroadcast(t, ns.InternalURI)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := pyrotest.Run(t, ctx, "import Pyro5.api\nns = Pyro5.api.locate_ns()\nprint(ns._pyroUri)\nprint(ns.count())\n",
		append(env, "PYRO_BROADCAST_ADDRS=127.0.0.1", "PYRO_NS_BCPORT="+strconv.Itoa(bc.Port()),
			"PYRO_NS_HOST=127.0.0.1", "PYRO_NS_PORT="+strconv.Itoa(deadTCPPort(t)))...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if want := ns.URI.String() + "\n1\n"; out != want {
		t.Errorf("Pyro5 located %q, want %q", out, want)
	}
}

// TestGyroProxyUsesPyro5NS: gyro's proxy and resolver speak Pyro5 to
// Pyro5's own name server: register, lookup, yplookup, and PYRONAME and
// PYROMETA URIs resolved through it.
func TestGyroProxyUsesPyro5NS(t *testing.T) {
	p := pyrotest.Start5(t, []string{"-m", "Pyro5.nameserver", "-n", "127.0.0.1", "-p", "0", "-x"}, uriLine)
	nsURI := mustURI(t, p.Match[1])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opts := LocateOptions{Host: nsURI.Host, Port: nsURI.Port, Protocol: wire.Pyro5}
	ns, err := LocateNS(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	target := "PYRO:obj@127.0.0.1:5555"
	if _, err := ns.CallKw(ctx, "register", []any{"a.b", target}, map[string]any{"metadata": []any{"m1"}}); err != nil {
		t.Fatal(err)
	}
	if v, err := ns.Call(ctx, "lookup", "a.b"); err != nil || v != mustURI(t, target) {
		t.Errorf("lookup = %#v, %v", v, err)
	}
	v, err := ns.CallKw(ctx, "yplookup", nil, map[string]any{"meta_all": []any{"m1"}})
	d, _ := v.(*pyval.Dict)
	if entry, _ := d.Get("a.b"); err != nil || !pyval.Equal(entry, pyval.Tuple{target, pyval.Set{"m1"}}) {
		t.Errorf("yplookup = %v, %v", v, err)
	}
	_, err = ns.Call(ctx, "lookup", "nope")
	var exc *pyval.Exception
	if !errors.As(err, &exc) || exc.Class != "Pyro4.errors.NamingError" || exc.Message() != "unknown name: nope" {
		t.Errorf("lookup(nope): %v", err)
	}
	loc := "@" + nsURI.Host + ":" + strconv.Itoa(nsURI.Port)
	for _, u := range []string{"PYRONAME:a.b" + loc, "PYROMETA:m1" + loc} {
		got, err := Resolve(ctx, mustURI(t, u), LocateOptions{Protocol: wire.Pyro5})
		if err != nil || got.String() != target {
			t.Errorf("Resolve(%s) = %v, %v", u, got, err)
		}
	}
}

// TestPyro5NSCMatchesPyro5NS drives Pyro5's name server control tool
// (Pyro5.nsc) against Pyro5's own name server and against gyro's and
// requires the same output, the name servers' own URIs aside.
func TestPyro5NSCMatchesPyro5NS(t *testing.T) {
	env := pyrotest.Pyro5Env(t)
	script := `
import sys
from Pyro5 import nsc, core
ns = core.locate_ns(sys.argv[1], int(sys.argv[2]))
for cmd in ["ping", "register a.b PYRO:obj@127.0.0.1:5555", "register a.c PYRO:other@127.0.0.1:6666",
            "register a.b PYRO:obj@127.0.0.1:7777", "setmeta a.b m1", "list", "list a.", "listmatching a\\.c",
            "lookup a.b", "lookup nope", "yplookup_all m1", "yplookup_any m2 m1",
            "yplookup_all class:Pyro5.nameserver.NameServer", "remove a.c", "remove a.c", "setmeta a.b", "list"]:
    print("$", cmd, flush=True)
    try:
        nsc.handle_command(ns, cmd.split()[0], cmd.split()[1:])
    except Exception:
        pass
`
	run := func(u pyval.URI) string {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		out, err := pyrotest.RunScript(t, ctx, "-c", []string{script, u.Host, strconv.Itoa(u.Port)}, "", env...)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return strings.ReplaceAll(out, u.String(), "NS_URI")
	}
	p := pyrotest.Start5(t, []string{"-m", "Pyro5.nameserver", "-n", "127.0.0.1", "-p", "0", "-x"}, uriLine)
	want := run(mustURI(t, p.Match[1]))
	got := run(startNS(t, nil).URI)
	if got != want {
		t.Errorf("gyro:\n%s\nPyro5:\n%s", got, want)
	}
	if !strings.Contains(want, "Pyro.NameServer --> NS_URI") || !strings.Contains(want, "a.b --> PYRO:obj@127.0.0.1:5555") {
		t.Errorf("unexpected Pyro5 output:\n%s", want)
	}
}
