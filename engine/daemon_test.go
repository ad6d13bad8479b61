package engine_test

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

func newDaemon(t *testing.T, opts engine.Options) *engine.Daemon {
	t.Helper()
	if opts.Config == nil {
		cfg := testConfig()
		opts.Config = &cfg
	}
	d, err := engine.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestLocationAndURIs(t *testing.T) {
	tests := []struct {
		name string
		opts engine.Options
		loc  string // with the port as %d
		nat  string
	}{
		{"localhost", engine.Options{}, "localhost:", ""},
		{"ip", engine.Options{Host: "127.0.0.1"}, "127.0.0.1:", ""},
		{"ipv6", engine.Options{Host: "::1"}, "[::1]:", ""},
		{"nat", engine.Options{Host: "127.0.0.1", NATHost: "example.org", NATPort: 5555}, "127.0.0.1:", "example.org:5555"},
		{"nat port 0 is the real port", engine.Options{Host: "127.0.0.1", NATHost: "example.org"}, "127.0.0.1:", "example.org:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDaemon(t, tt.opts)
			port := d.Addr().(*net.TCPAddr).Port
			if !strings.HasPrefix(d.LocationStr(), tt.loc) || !strings.HasSuffix(d.LocationStr(), itoa(port)) {
				t.Errorf("LocationStr %q, want %s<port %d>", d.LocationStr(), tt.loc, port)
			}
			uri, err := d.Register(Calculator{}, "calc", false)
			if err != nil {
				t.Fatal(err)
			}
			internal, _ := d.InternalURIFor("calc")
			if internal.String() != "PYRO:calc@"+d.LocationStr() {
				t.Errorf("internal URI %s", internal)
			}
			want := internal.String()
			if tt.nat != "" {
				want = "PYRO:calc@" + tt.nat
				if strings.HasSuffix(tt.nat, ":") {
					want += itoa(port)
				}
			}
			if uri.String() != want {
				t.Errorf("Register URI %s, want %s", uri, want)
			}
		})
	}
	if _, err := engine.New(engine.Options{NATHost: "x", UnixSocket: "/tmp/nope.sock"}); err == nil {
		t.Error("nathost with unixsocket accepted")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestRegisterRules(t *testing.T) {
	d := newDaemon(t, engine.Options{Host: "127.0.0.1"})
	calc := &Stopper{}
	uri, err := d.Register(calc, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(uri.Object, "obj_") || len(uri.Object) != 36 {
		t.Errorf("generated id %q, want obj_ + 32 hex", uri.Object)
	}
	if _, err := d.Register(calc, "other", false); !errors.Is(err, pyval.ErrDaemon) {
		t.Errorf("registering twice: %v, want DaemonError", err)
	}
	if _, err := d.Register(&Stopper{}, uri.Object, false); !errors.Is(err, pyval.ErrDaemon) {
		t.Errorf("reusing an id: %v, want DaemonError", err)
	}
	if _, err := d.Register(&Stopper{}, uri.Object, true); err != nil {
		t.Errorf("force: %v", err)
	}
	if err := d.Unregister(engine.DaemonName); err != nil {
		t.Errorf("unregistering Pyro.Daemon: %v (Pyro4 ignores it)", err)
	}
	if got := d.Registry().Registered(); got[0] != engine.DaemonName {
		t.Errorf("Registered() = %v, want Pyro.Daemon first", got)
	}
}

func TestHooks(t *testing.T) {
	var mu sync.Mutex
	var events []string
	record := func(s string) { mu.Lock(); events = append(events, s); mu.Unlock() }
	disconnected := make(chan struct{})
	d, _ := startEcho(t, func(o *engine.Options) {
		o.Hooks = engine.Hooks{
			ValidateHandshake: func(conn *dispatch.Conn, data any) (any, error) {
				if data != "hello" {
					return nil, errors.New("go away")
				}
				record("handshake")
				return "welcome", nil
			},
			ClientConnected:    func(*dispatch.Conn) { record("connected") },
			ClientDisconnected: func(*dispatch.Conn) { record("disconnected"); close(disconnected) },
			Annotations:        func() map[string][]byte { return map[string][]byte{"XTRA": []byte("x")} },
		}
	})
	c := dialRaw(t, d)
	m := c.connect(echoID, serial.IDSerpent)
	v, _ := serial.Serpent.Unmarshal(m.Data)
	if hs, _ := v.(*pyval.Dict).Get("handshake"); hs != "welcome" {
		t.Fatalf("handshake response %v", v)
	}
	if x, ok := m.Annotation("XTRA"); !ok || string(x) != "x" {
		t.Error("CONNECTOK lacks the hook's annotation")
	}
	rm, _ := c.invoke(echoID, "echo", "a")
	if _, ok := rm.Annotation("XTRA"); !ok {
		t.Error("RESULT lacks the hook's annotation")
	}
	c.nc.Close()
	select {
	case <-disconnected:
	case <-time.After(10 * time.Second):
		t.Fatal("ClientDisconnected never ran")
	}
	mu.Lock()
	if got := strings.Join(events, ","); got != "handshake,connected,disconnected" {
		t.Errorf("hook order %s", got)
	}
	mu.Unlock()

	bad := dialRaw(t, d)
	data, _ := serial.Serpent.Marshal(nil, pyval.DictOf("handshake", "nope", "object", echoID), nil)
	bad.send(&wire.Message{Type: wire.MsgConnect, Flags: wire.FlagMetaOnConnect, SerializerID: serial.IDSerpent, Data: data})
	if got := connectFailReason(t, bad.recv(), serial.IDSerpent); got != "go away" {
		t.Errorf("rejection reason %q", got)
	}
}

const echoID = "test.echoserver"
