package pyrotest

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestPyro5Dir(t *testing.T) {
	t.Setenv("GYRO_PYRO5_DIR", "/x/y")
	got, err := Pyro5Dir()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.FromSlash("/x/y/root/usr/lib/python3/dist-packages"); got != want {
		t.Errorf("Pyro5Dir() = %q, want %q", got, want)
	}
}

// TestRun5 proves the helper runs the real Pyro5 5.15, and that Pyro4 is
// still the one a plain Run gets (they live side by side).
func TestRun5(t *testing.T) {
	out, err := Run5(t, context.Background(), "import Pyro5, Pyro4; print(Pyro5.__version__, Pyro4.__version__)")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out); got != Pyro5Version+" 4.82" {
		t.Errorf("versions = %q, want %q", got, Pyro5Version+" 4.82")
	}
}
