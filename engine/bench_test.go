package engine_test

import (
	"context"
	"testing"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/proxy"
)

// BenchmarkDaemonEcho measures a small echo call through gyro's proxy and
// daemon over loopback, per server type: the loop's request/response cost.
func BenchmarkDaemonEcho(b *testing.B) {
	for _, st := range []string{"thread", "multiplex", "multicore"} {
		b.Run(st, func(b *testing.B) {
			cfg := config.Default()
			cfg.ServerType = st
			d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg})
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			uri, _ := d.Register(Calculator{}, "calc", false)
			go d.RequestLoop(nil)
			defer d.Shutdown()
			ctx := context.Background()
			p, err := proxy.New(uri.String(), proxy.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			if err := p.Bind(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := p.Call(ctx, "add", 1, 2); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
