package engine_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/pyval"
)

type callbackThing struct{ n int }

func (*callbackThing) FailCb() error { return pyval.NewException(pyval.ClassValueError, "boom") }
func (*callbackThing) Fail() error   { return pyval.NewException(pyval.ClassValueError, "plain") }
func (*callbackThing) Ok() string    { return "ok" }

func (*callbackThing) PyroExpose() dispatch.Exposure {
	return dispatch.Exposure{Callback: []string{"FailCb"}}
}

type callbackFailure struct {
	object, method string
	err            error
}

// A failing method marked as a callback fails for the caller and, as in
// Pyro4 4.82, on the daemon's side: the daemon reports it and closes that
// connection, while other failures leave the connection open. The Pyro4
// client sees the same from gyro as from Pyro4's own daemon.
func TestPyro4ClientCallbackFailure(t *testing.T) {
	pyrotest.Python(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	want := scriptAgainst(t, ctx, nil, "testdata/pyro4_callback.py", "pyro4")

	failures := make(chan callbackFailure, 4)
	cfg := testConfig()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg, Logger: quiet, Hooks: engine.Hooks{
		CallbackError: func(_ *dispatch.Conn, object, method string, err error) {
			failures <- callbackFailure{object, method, err}
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	uri, err := d.Register(&callbackThing{}, "thing", false)
	if err != nil {
		t.Fatal(err)
	}
	got := scriptAgainst(t, ctx, d, "testdata/pyro4_callback.py", uri.String())
	if !strings.Contains(want, "fail_cb -> ValueError boom\nok -> ConnectionClosedError\n") {
		t.Errorf("Pyro4 does not close after a failed callback here:\n%s", want)
	}
	if got != want {
		t.Errorf("Pyro4 client against gyro:\n%s\nagainst Pyro4:\n%s", got, want)
	}
	close(failures)
	var seen []callbackFailure
	for f := range failures {
		seen = append(seen, f)
	}
	if len(seen) != 1 || seen[0].object != "thing" || seen[0].method != "fail_cb" || seen[0].err.Error() != "ValueError: boom" {
		t.Errorf("CallbackError hook saw %+v, want one failure of thing.fail_cb (ValueError: boom)", seen)
	}
}

func TestExposureCallbackMustBeRemote(t *testing.T) {
	d := newDaemon(t, engine.Options{Host: "127.0.0.1"})
	if _, err := d.Register(&hiddenCallback{}, "", false); err == nil {
		t.Fatal("a hidden callback method was registered")
	}
}

type hiddenCallback struct{ n int }

func (*hiddenCallback) F() {}
func (*hiddenCallback) PyroExpose() dispatch.Exposure {
	return dispatch.Exposure{Callback: []string{"F"}, Hide: []string{"F"}}
}
