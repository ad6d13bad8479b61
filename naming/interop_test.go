package naming

import (
	"context"
	"errors"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/pyval"
)

var uriLine = regexp.MustCompile(`^URI = (\S+)`)

const unmarshallable = "EXC builtins.ValueError: ('unmarshallable object',)"

// startPyroNS runs Pyro4's own name server (python3 -m Pyro4.naming) on
// 127.0.0.1 with a free port and no broadcast server, and returns its URI.
func startPyroNS(t *testing.T, extra ...string) (*pyrotest.Process, string) {
	t.Helper()
	args := append([]string{"-m", "Pyro4.naming", "-n", "127.0.0.1", "-p", "0", "-x"}, extra...)
	p := pyrotest.Start(t, args, uriLine)
	return p, p.Match[1]
}

// pyScript returns a python file from testdata with sys.argv set to args.
func pyScript(t *testing.T, file string, args ...string) string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("import sys\nsys.argv = [" + strconv.Quote(file))
	for _, a := range args {
		b.WriteString(", " + strconv.Quote(a))
	}
	b.WriteString("]\n")
	b.Write(src)
	return b.String()
}

// parseLines splits the client's "label: result" lines into a map and
// the label order.
func parseLines(t *testing.T, out string) (map[string]string, []string) {
	t.Helper()
	m := make(map[string]string)
	var order []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		label, res, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("bad client line %q", line)
		}
		m[label] = res
		order = append(order, label)
	}
	return m, order
}

// TestPyro4ClientsMatchPyro4NS runs the same Pyro4 client script against
// Pyro4's own name server and against gyro's, once per serializer, and
// requires identical results for every call (gyro's documented deviations
// aside, which are checked on their own).
func TestPyro4ClientsMatchPyro4NS(t *testing.T) {
	pyrotest.Python(t)
	devs := map[string]string{
		"dev.register.empty":       "EXC Pyro4.errors.NamingError: ('invalid name: the name is empty',)",
		"dev.register.long":        "EXC Pyro4.errors.NamingError: ('invalid name: 2000 bytes long, at most 1024 allowed',)",
		"dev.register.meta.int":    "EXC builtins.TypeError: ('metadata tags must be str, not int',)",
		"dev.list.regex.lookahead": "EXC Pyro4.errors.NamingError: ('invalid regex: <message>',)",
		"dev.list.regex.backref":   "EXC Pyro4.errors.NamingError: ('invalid regex: <message>',)",
	}
	for _, ser := range []string{"serpent", "json", "marshal"} {
		t.Run(ser, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			_, pyURI := startPyroNS(t)
			want, err := pyrotest.Run(t, ctx, pyScript(t, "testdata/ns_client.py", pyURI, ser))
			if err != nil {
				t.Fatalf("against Pyro4's NS: %v\n%s", err, want)
			}
			ns := startNS(t, nil)
			got, err := pyrotest.Run(t, ctx, pyScript(t, "testdata/ns_client.py", ns.URI.String(), ser))
			if err != nil {
				t.Fatalf("against gyro's NS: %v\n%s", err, got)
			}
			wantM, order := parseLines(t, want)
			gotM, _ := parseLines(t, got)
			for _, label := range order {
				if strings.HasPrefix(label, "dev.") {
					continue
				}
				if ser == "marshal" && wantM[label] == unmarshallable && !strings.HasPrefix(gotM[label], "EXC ") {
					// Pyro4's marshal cannot send a URI nested in the
					// (URI, tags) tuple; gyro's serial/marshal can, and
					// the client decodes it fine.
					continue
				}
				if gotM[label] != wantM[label] {
					t.Errorf("%s:\n  gyro:  %s\n  Pyro4: %s", label, gotM[label], wantM[label])
				}
			}
			for label, res := range devs {
				if gotM[label] != res {
					t.Errorf("%s (deviation):\n  gyro: %s\n  want: %s\n  (Pyro4: %s)", label, gotM[label], res, wantM[label])
				}
			}
			if len(gotM) != len(wantM) {
				t.Errorf("gyro run printed %d results, Pyro4 run %d", len(gotM), len(wantM))
			}
		})
	}
}

// thing is the chapter's Example 2 object: method(arg) returns arg*2.
type thing struct{}

func (thing) Method(arg int) int { return arg * 2 }

// TestPyro4DaemonResolvesThroughGyroNS has a Pyro4 daemon register its
// object in the name server and Pyro4 clients reach it with PYRONAME: and
// PYROMETA: URIs; the same script runs against Pyro4's own name server, so
// both must give these results.
func TestPyro4DaemonResolvesThroughGyroNS(t *testing.T) {
	pyrotest.Python(t)
	want := map[string]string{
		"lookup":           "True",
		"pyroname":         "42",
		"pyrometa":         "8",
		"pyrometa.both":    "10",
		"pyrometa.none":    "EXC NamingError: no registrations available with desired metadata properties {'tag:none'}",
		"pyroname.unknown": "EXC NamingError: unknown name: no.such",
		"resolve":          "True",
		"remove":           "1",
	}
	for _, target := range []string{"gyro", "pyro4"} {
		t.Run(target, func(t *testing.T) {
			t.Parallel()
			var uri string
			if target == "gyro" {
				uri = startNS(t, nil).URI.String()
			} else {
				_, uri = startPyroNS(t)
			}
			u := mustURI(t, uri)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := pyrotest.Run(t, ctx, pyScript(t, "testdata/pyro4_daemon.py", u.Host, strconv.Itoa(u.Port)))
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			got, _ := parseLines(t, out)
			for label, w := range want {
				if got[label] != w {
					t.Errorf("%s: got %q, want %q", label, got[label], w)
				}
			}
		})
	}
}

// nscMetadata matches the metadata line pyro4-nsc prints, whose tag order
// is Python's set order for Pyro4's name server.
var nscMetadata = regexp.MustCompile(`metadata: \[(.*)\]`)

// invalidRegex matches an invalid regex error, whose text differs between
// Python's re and RE2.
var invalidRegex = regexp.MustCompile(`invalid regex: .*`)

// normalizeNSC makes pyro4-nsc output comparable between name servers: the
// NS location becomes <NS> and tag lists are sorted.
func normalizeNSC(out, nsLoc string) string {
	out = strings.ReplaceAll(out, nsLoc, "<NS>")
	out = invalidRegex.ReplaceAllString(out, "invalid regex: <message>")
	return nscMetadata.ReplaceAllStringFunc(out, func(m string) string {
		inner := nscMetadata.FindStringSubmatch(m)[1]
		parts := strings.Split(inner, ", ")
		slices.Sort(parts)
		return "metadata: [" + strings.Join(parts, ", ") + "]"
	})
}

// TestPyro4NSCDrivesGyroNS runs Pyro4's name server control tool
// (python3 -m Pyro4.nsc -n HOST -p PORT ...) against Pyro4's name server and
// gyro's, and requires the same output for every command.
func TestPyro4NSCDrivesGyroNS(t *testing.T) {
	pyrotest.Python(t)
	run := func(uri string) string {
		u := mustURI(t, uri)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		out, err := pyrotest.Run(t, ctx, pyScript(t, "testdata/nsc.py", u.Host, strconv.Itoa(u.Port)))
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return normalizeNSC(out, u.Location())
	}
	_, pyURI := startPyroNS(t)
	want := run(pyURI)
	got := run(startNS(t, nil).URI.String())
	if got != want {
		t.Errorf("pyro4-nsc output differs\n--- gyro:\n%s\n--- Pyro4:\n%s", got, want)
	}
	for _, must := range []string{"Name server ping ok.", "Registered x.a", "Error: NamingError - name already registered: x.a",
		"Error: NamingError - unknown name: nope", "Metadata updated", "Metadata cleared", "x.b --> PYRO:b@localhost:5002",
		"    metadata: ['t1', 't2']", "Removed x.a", "Nothing removed", "1 items removed.", "--------END LIST - regex 'x\\.b'"} {
		if !strings.Contains(got, must) {
			t.Errorf("gyro run lacks %q:\n%s", must, got)
		}
	}
}

// TestPyro4LocatesGyroNSByBroadcast has Pyro4's locateNS find gyro's name
// server through gyro's broadcast server, with broadcasts confined to
// 127.0.0.1 and the direct attempts pointed at a dead port.
func TestPyro4LocatesGyroNSByBroadcast(t *testing.T) {
	pyrotest.Python(t)
	for _, tc := range []struct {
		name string
		host string // the host the broadcast server announces
	}{
		{"internal-uri", ""},
		{"inaddr-any-rewritten", "0.0.0.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns := startNS(t, nil)
			announced := ns.InternalURI
			if tc.host != "" {
				announced.Host = tc.host
			}
			bc := startBroadcast(t, announced)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := pyrotest.Run(t, ctx, "import Pyro4\nns = Pyro4.locateNS()\nprint(ns._pyroUri)\nprint(ns.count())\n",
				"PYRO_BROADCAST_ADDRS=127.0.0.1", "PYRO_NS_BCPORT="+strconv.Itoa(bc.Port()),
				"PYRO_NS_HOST=127.0.0.1", "PYRO_NS_PORT="+strconv.Itoa(deadTCPPort(t)))
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			want := ns.URI.String() + "\n1\n"
			if out != want {
				t.Errorf("Pyro4 located %q, want %q", out, want)
			}
		})
	}
}

// startBroadcast runs a broadcast server on 127.0.0.1 announcing uri,
// until the test ends.
func startBroadcast(t *testing.T, uri pyval.URI) *BroadcastServer {
	t.Helper()
	bc, err := NewBroadcastServer(uri, "127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	done := bc.RunInBackground()
	t.Cleanup(func() {
		bc.Close()
		<-done
	})
	return bc
}

func mustURI(t testing.TB, s string) pyval.URI {
	t.Helper()
	u, err := pyval.ParseURI(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// pyroNSWithBroadcast runs Pyro4's name server on 127.0.0.1 plus Pyro4's
// BroadcastServer bound to 127.0.0.1 (pyro4-ns never broadcasts for a
// loopback bind), and returns the NS URI and the broadcast port.
func pyroNSWithBroadcast(t *testing.T) (string, int) {
	t.Helper()
	script := `
import threading, Pyro4.naming
uri, daemon, _ = Pyro4.naming.startNS(host="127.0.0.1", port=0, enableBroadcast=False)
bc = Pyro4.naming.BroadcastServer(uri, bchost="127.0.0.1", bcport=0)
bc.runInThread()
print("READY", uri, bc.getPort(), flush=True)
daemon.requestLoop()
`
	p := pyrotest.Start(t, []string{"-c", script}, regexp.MustCompile(`^READY (\S+) (\d+)`))
	port, _ := strconv.Atoi(p.Match[2])
	return p.Match[1], port
}

// TestGyroLocatesAndResolvesWithPyro4NS uses gyro's LocateNS, Resolve and
// proxy against Pyro4's own name server: directly, by broadcast, and to
// reach a gyro object by PYRONAME: and PYROMETA:.
func TestGyroLocatesAndResolvesWithPyro4NS(t *testing.T) {
	pyrotest.Python(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	nsURI, bcPort := pyroNSWithBroadcast(t)
	u := mustURI(t, nsURI)
	cfg := testConfig(t)
	cfg.NSBCPort = bcPort

	t.Run("direct", func(t *testing.T) {
		ns, err := LocateNS(ctx, LocateOptions{Host: "127.0.0.1", Port: u.Port, Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		defer ns.Close()
		if ns.URI().String() != nsURI {
			t.Errorf("URI %s, want %s", ns.URI(), nsURI)
		}
		if n, err := ns.Call(ctx, "count"); err != nil || n != int64(1) {
			t.Errorf("count() = %v, %v", n, err)
		}
	})
	t.Run("broadcast", func(t *testing.T) {
		ns, err := LocateNS(ctx, LocateOptions{Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		defer ns.Close()
		if ns.URI().String() != nsURI {
			t.Errorf("URI %s, want %s", ns.URI(), nsURI)
		}
		if _, err := ns.Call(ctx, "ping"); err != nil {
			t.Error(err)
		}
	})
	t.Run("resolve", func(t *testing.T) {
		d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		objURI, err := d.Register(thing{}, "gyro.thing", false)
		if err != nil {
			t.Fatal(err)
		}
		serve(t, d)
		ns, err := LocateNS(ctx, LocateOptions{Host: u.Host, Port: u.Port, Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		defer ns.Close()
		if _, err := ns.CallKw(ctx, "register", []any{"gyro.thing", objURI}, map[string]any{"metadata": []string{"tag:gyro"}}); err != nil {
			t.Fatal(err)
		}
		loc := "@" + u.Location()
		res := Resolver(LocateOptions{Config: cfg})
		for _, s := range []string{"PYRONAME:gyro.thing" + loc, "PYROMETA:tag:gyro" + loc} {
			p, err := proxy.New(s, proxy.Options{Resolve: res})
			if err != nil {
				t.Fatal(err)
			}
			v, err := p.Call(ctx, "method", 21)
			p.Close()
			if err != nil || v != int64(42) {
				t.Errorf("%s: method(21) = %v, %v", s, v, err)
			}
		}
		for s, msg := range map[string]string{
			"PYROMETA:tag:none" + loc: "no registrations available with desired metadata properties {'tag:none'}",
			"PYRONAME:no.such" + loc:  "unknown name: no.such",
		} {
			_, err := Resolve(ctx, mustURI(t, s), LocateOptions{Config: cfg})
			var exc *pyval.Exception
			if !errors.As(err, &exc) || exc.Class != pyval.ClassNamingError || exc.Message() != msg {
				t.Errorf("Resolve(%s) = %v, want NamingError(%q)", s, err, msg)
			}
		}
	})
}

// serve runs a daemon's request loop until the test ends.
func serve(t testing.TB, d *engine.Daemon) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- d.RequestLoop(nil) }()
	t.Cleanup(func() {
		d.Shutdown()
		if err := <-done; err != nil {
			t.Errorf("RequestLoop: %v", err)
		}
		d.Close()
	})
}
