package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gyro-rpc/gyro/naming"
)

// TestNSDamagedStore: `gyro ns` on a damaged bolt file exits with one
// error line that names the file, not a panic and a stack trace.
func TestNSDamagedStore(t *testing.T) {
	t.Setenv("PYRO_HMAC_KEY", "")
	file := filepath.Join(t.TempDir(), "ns.db")
	st, err := naming.OpenBolt(file, naming.BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i := 2 * 4096; i < len(b); i++ { // past the meta pages: bbolt panics on these
		b[i] = byte(i*7 + 3)
	}
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	code := runContext(context.Background(), []string{"ns", "-n", "127.0.0.1", "-p", "0", "-x", "-s", "bolt:" + file}, nil, &out, &errOut)
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	if code != 1 || len(lines) != 1 || !strings.Contains(lines[0], file) || strings.Contains(lines[0], "goroutine") {
		t.Errorf("code %d, stderr %q: want 1 and one line naming %s", code, errOut.String(), file)
	}
}
