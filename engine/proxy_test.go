package engine_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/pyval"
)

// TestGoProxyCallsGyro: gyro's own client against gyro's daemon, over TCP
// and a unix socket, in every serializer.
func TestGoProxyCallsGyro(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "echo.sock")
	transports := map[string]func(*engine.Options){
		"tcp":  nil,
		"unix": func(o *engine.Options) { o.UnixSocket = sock },
	}
	for name, mutate := range transports {
		_, uri := startEcho(t, mutate)
		for _, ser := range []string{"serpent", "json", "marshal"} {
			t.Run(name+"/"+ser, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				cfg := config.Default()
				cfg.Serializer = ser
				p, err := proxy.New(uri, proxy.Options{Config: &cfg})
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				if v, err := p.Call(ctx, "echo", "hello"); err != nil || v != "hello" {
					t.Fatalf("echo = %v, %v", v, err)
				}
				_, err = p.Call(ctx, "error")
				var exc *pyval.Exception
				if !errors.As(err, &exc) || exc.Class != pyval.ClassValueError || exc.Traceback() == "" {
					t.Fatalf("error() = %v, want ValueError with a traceback", err)
				}
				if err := p.Set(ctx, "verbose", true); err != nil {
					t.Fatal(err)
				}
				if v, err := p.Get(ctx, "verbose"); err != nil || v != true {
					t.Fatalf("verbose = %v, %v", v, err)
				}
				p.Set(ctx, "verbose", false)
				st, err := p.Stream(ctx, "generator")
				if err != nil {
					t.Fatal(err)
				}
				var items []any
				for {
					v, err := st.Next(ctx)
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					items = append(items, v)
				}
				if len(items) != 3 || items[0] != "one" || items[2] != "three" {
					t.Fatalf("generator = %v", items)
				}
				b := p.Batch()
				b.Add("echo", int64(1))
				b.Add("echo", int64(2))
				if res, err := b.Run(ctx); err != nil || len(res) != 2 || res[1] != int64(2) {
					t.Fatalf("batch = %v, %v", res, err)
				}
			})
		}
	}
	if _, err := os.Stat(sock); err != nil {
		t.Fatalf("unix socket missing while served: %v", err)
	}
}
