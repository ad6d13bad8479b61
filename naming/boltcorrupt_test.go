package naming_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gyro-rpc/gyro/naming"
)

// TestOpenBoltCorrupted damages a store in the ways a crash, a bad disk or
// a stray write could, and checks that opening it fails with an error
// naming the file instead of panicking (bbolt panics on some damaged
// pages).
func TestOpenBoltCorrupted(t *testing.T) {
	const pageSize = 4096
	tests := []struct {
		name   string
		damage func(b []byte) []byte
	}{
		{"meta pages zeroed", func(b []byte) []byte { clear(b[:2*pageSize]); return b }},
		{"freelist page garbage", func(b []byte) []byte { fill(b[2*pageSize : 3*pageSize]); return b }},
		{"data pages garbage", func(b []byte) []byte { fill(b[3*pageSize:]); return b }},
		{"truncated", func(b []byte) []byte { return b[:pageSize+100] }},
		{"not a bolt file", func(b []byte) []byte { return []byte(strings.Repeat("PYRO", 3000)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "ns.db")
			st, err := naming.OpenBolt(file, naming.BoltOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range []string{"a", "b", "c"} {
				if err := st.Set(context.Background(), naming.Registration{Name: n, URI: "PYRO:" + n + "@localhost:1"}); err != nil {
					t.Fatal(err)
				}
			}
			st.Close()
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, tt.damage(b), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, ro := range []bool{false, true} {
				st, err := naming.OpenBolt(file, naming.BoltOptions{ReadOnly: ro})
				if err == nil {
					// bbolt found nothing wrong on open: reading must not panic either
					_, _ = st.Count(context.Background())
					st.Close()
					continue
				}
				if !strings.Contains(err.Error(), file) || strings.Contains(err.Error(), "\n") {
					t.Errorf("read-only %v: error %q should be one line naming %s", ro, err, file)
				}
			}
		})
	}
}

func fill(b []byte) {
	for i := range b {
		b[i] = byte(i*7 + 3)
	}
}
