package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
)

type who struct{ addr, user string }

func (w *who) Who() []string { return []string{w.addr, w.user} }

// An instance creator sees the call context of the call that needs the
// instance, as Pyro4's creators read current_context: a Pyro4 client gets
// the same answers from gyro as from Pyro4's daemon.
func TestPyro4ClientInstanceCreatorContext(t *testing.T) {
	pyrotest.Python(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	want := scriptAgainst(t, ctx, nil, "testdata/pyro4_creator.py", "pyro4")
	d := newDaemon(t, engine.Options{Host: "127.0.0.1"})
	uri, err := d.Register(dispatch.NewClass(dispatch.Session, func(ctx context.Context) (*who, error) {
		cc, ok := dispatch.FromContext(ctx)
		if !ok {
			t.Error("creator without a call context")
			return &who{}, nil
		}
		return &who{addr: cc.Client.String(), user: string(cc.Annotations["USER"])}, nil
	}), "who", false)
	if err != nil {
		t.Fatal(err)
	}
	got := scriptAgainst(t, ctx, d, "testdata/pyro4_creator.py", uri.String())
	if got != want || want != "True True alice alice\nTrue True bob bob\n" {
		t.Errorf("Pyro4 client against gyro:\n%s\nagainst Pyro4:\n%s", got, want)
	}
}
