package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/pyval"
)

type misuseObj struct{ n int }

func (*misuseObj) Ping() {}

// Local misuse is a Go sentinel error for Go callers, and still Pyro4's
// DaemonError with Pyro4's text when a remote method hands it to a client.
func TestMisuseErrors(t *testing.T) {
	d := newDaemon(t, engine.Options{Host: "127.0.0.1"})
	obj := &misuseObj{}
	if _, err := d.Register(obj, "one", false); err != nil {
		t.Fatal(err)
	}
	_, errSameID := d.Register(&misuseObj{}, "one", false)
	_, errSameObj := d.Register(obj, "two", false)
	_, errURI := d.URIFor(&misuseObj{})
	errUnreg := d.Unregister(&misuseObj{})
	tests := []struct {
		name     string
		err      error
		sentinel error
		text     string // Pyro4 4.82's message
	}{
		{"id taken", errSameID, engine.ErrAlreadyRegistered, "an object or class is already registered with that id"},
		{"object registered", errSameObj, engine.ErrAlreadyRegistered, "object or class already has a Pyro id"},
		{"uriFor unregistered", errURI, engine.ErrNotRegistered, "object isn't registered in this daemon"},
		{"unregister unregistered", errUnreg, engine.ErrNotRegistered, "object isn't registered"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, tc.sentinel) {
				t.Fatalf("err = %v, want errors.Is %v", tc.err, tc.sentinel)
			}
			if tc.err.Error() != tc.text {
				t.Errorf("Error() = %q, want %q", tc.err.Error(), tc.text)
			}
			exc := dispatch.ToException(tc.err)
			if exc.Class != pyval.ClassDaemonError || exc.Message() != tc.text {
				t.Errorf("a Pyro4 client would see %s(%q), want DaemonError(%q)", exc.Class, exc.Message(), tc.text)
			}
			if strings.HasPrefix(tc.err.Error(), "engine: engine:") {
				t.Errorf("doubled prefix: %q", tc.err)
			}
		})
	}
}

// URIFor of an object that is not registered fails with the text Pyro4's
// Daemon.uriFor raises, checked against Pyro4 4.82 itself.
func TestURIForUnregisteredMatchesPyro4(t *testing.T) {
	pyrotest.Python(t)
	out, err := pyrotest.Run(t, context.Background(), `
import Pyro4, Pyro4.errors
d = Pyro4.Daemon(host="127.0.0.1")
try:
    d.uriFor(object())
except Pyro4.errors.DaemonError as e:
    print("DaemonError", e)
d.close()
`)
	if err != nil {
		t.Fatal(err)
	}
	d := newDaemon(t, engine.Options{Host: "127.0.0.1"})
	_, uerr := d.URIFor(&misuseObj{})
	exc := dispatch.ToException(uerr)
	if got, want := exc.Name()+" "+exc.Message(), strings.TrimSpace(out); got != want || !errors.Is(uerr, engine.ErrNotRegistered) {
		t.Errorf("gyro: %s (%v); Pyro4: %s", got, uerr, want)
	}
}
