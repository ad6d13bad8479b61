package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
)

// extendedDaemon extends Pyro.Daemon as a Pyro4 program subclasses
// DaemonObject.
type extendedDaemon struct{ *engine.DaemonObject }

func (e *extendedDaemon) Greeting(name string) string { return "hello " + name }

func (e *extendedDaemon) PyroExpose() dispatch.Exposure {
	x := e.DaemonObject.PyroExpose()
	x.Only = append(x.Only, "Greeting")
	return x
}

// A Pyro4 client uses an extended daemon object as it uses Pyro4's daemon
// with a DaemonObject subclass: the standard methods
// (registered, get_metadata, and the item streams, which go through
// Pyro.Daemon's get_next_stream_item) keep working beside the new one,
// with REQUIRE_EXPOSE on and off.
func TestPyro4ClientExtendedDaemonObject(t *testing.T) {
	pyrotest.Python(t)
	for _, requireExpose := range []bool{false, true} {
		name := "require_expose=" + map[bool]string{false: "off", true: "on"}[requireExpose]
		t.Run(name, func(t *testing.T) {
			_, uri := startEcho(t, func(o *engine.Options) {
				o.Config.RequireExpose = requireExpose
				o.DaemonObject = func(std *engine.DaemonObject) any { return &extendedDaemon{std} }
			})
			daemonURI := strings.Replace(uri, "test.echoserver", engine.DaemonName, 1)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := pyrotest.RunScript(t, ctx, "testdata/pyro4_daemonobject.py", []string{daemonURI, uri}, "")
			if err != nil {
				t.Fatal(err)
			}
			// what the same client prints against Pyro4's daemon with a
			// DaemonObject subclass
			want, err := pyrotest.RunScript(t, ctx, "testdata/pyro4_daemonobject.py", []string{"pyro4"}, "")
			if err != nil {
				t.Fatal(err)
			}
			if out != want || want != "hello pyro4\nPyro.Daemon,test.echoserver\nTrue True\nTrue\n['one', 'two', 'three']\n" {
				t.Errorf("Pyro4 client printed, against gyro:\n%s\nagainst Pyro4:\n%s", out, want)
			}
		})
	}
}
