package engine_test

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/echo"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
)

// startEcho serves the echo object on a fresh daemon and returns its URI.
func startEcho(t *testing.T, mutate func(*engine.Options)) (*engine.Daemon, string) {
	t.Helper()
	cfg := testConfig()
	opts := engine.Options{Host: "127.0.0.1", Config: &cfg}
	if mutate != nil {
		mutate(&opts)
	}
	d, err := engine.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	obj := echo.New(io.Discard, false, d.Shutdown)
	obj.SlowDelay = 200 * time.Millisecond
	uri, err := d.Register(obj, echo.ObjectID, false)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.RequestLoop(nil) }()
	t.Cleanup(func() {
		d.Shutdown()
		if err := <-done; err != nil {
			t.Errorf("RequestLoop: %v", err)
		}
		d.Close()
	})
	return d, uri.String()
}

// TestPyro4ClientCallsGyro runs the real Pyro4 client against gyro's
// daemon serving the echo object, once per serializer.
func TestPyro4ClientCallsGyro(t *testing.T) {
	pyrotest.Python(t)
	for _, ser := range []string{"serpent", "json", "marshal"} {
		t.Run(ser, func(t *testing.T) {
			_, uri := startEcho(t, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := pyrotest.RunScript(t, ctx, "testdata/pyro4_client.py", []string{uri, ser}, "")
			reportChecks(t, out, err)
		})
	}
}

// reportChecks turns the client's PASS/FAIL lines into subtests.
func reportChecks(t *testing.T, out string, err error) {
	t.Helper()
	n := 0
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "PASS "):
			n++
			t.Run(strings.TrimPrefix(line, "PASS "), func(t *testing.T) {})
		case strings.HasPrefix(line, "FAIL "):
			n++
			name, reason, _ := strings.Cut(strings.TrimPrefix(line, "FAIL "), ": ")
			t.Run(name, func(t *testing.T) { t.Error(strings.ReplaceAll(reason, " | ", "\n")) })
		}
	}
	if err != nil || n == 0 {
		t.Fatalf("client failed (%d checks seen): %v\n%s", n, err, out)
	}
}
