// Package main is the nsstress command, a stress test for a name server, after Pyro4's
// nameserverstress example: many concurrent clients register, look up,
// list (all, by prefix, by regex) and remove random names for a fixed time,
// then it reports operations per second and latency percentiles per
// operation.
//
//	go run ./bench/nsstress                         # starts an in-process gyro NS (memory)
//	go run ./bench/nsstress -s bolt:/tmp/ns.db      # ... with the persistent store
//	go run ./bench/nsstress -ns PYRO:Pyro.NameServer@127.0.0.1:9090   # any NS, Pyro4's too
//
// It only ever talks to the name server it is given or starts on
// 127.0.0.1, and stops after -d.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/naming"
	"github.com/gyro-rpc/gyro/proxy"
)

func main() {
	var (
		nsURI      = flag.String("ns", "", "name server URI; empty starts a gyro name server on 127.0.0.1")
		storage    = flag.String("s", "memory", "storage of the started name server: memory or bolt:<file>")
		serverType = flag.String("servertype", config.ServerThread, "server type of the started name server")
		clients    = flag.Int("c", 32, "concurrent clients")
		duration   = flag.Duration("d", 10*time.Second, "how long to run")
		serializer = flag.String("serializer", "serpent", "serpent, json or marshal")
	)
	flag.Parse()
	if err := run(*nsURI, *storage, *serverType, *serializer, *clients, *duration, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "nsstress:", err)
		os.Exit(1)
	}
}

func randomName(r *rand.Rand) string {
	parts := []string{"stresstest"}
	for i := 0; i < 1+r.IntN(10); i++ {
		parts = append(parts, fmt.Sprintf("%02d", r.IntN(100)))
	}
	return strings.Join(parts, ".")
}

type op struct {
	name string
	do   func(ctx context.Context, p *proxy.Proxy, r *rand.Rand) error
}

// ops are the trasher's operations, with the same weights (one each).
var ops = []op{
	{"list", func(ctx context.Context, p *proxy.Proxy, _ *rand.Rand) error {
		_, err := p.Call(ctx, "list")
		return err
	}},
	{"register", func(ctx context.Context, p *proxy.Proxy, r *rand.Rand) error {
		_, err := p.Call(ctx, "register", randomName(r), "PYRO:objname@host:555")
		return err
	}},
	{"remove", func(ctx context.Context, p *proxy.Proxy, r *rand.Rand) error {
		_, err := p.Call(ctx, "remove", randomName(r))
		return err
	}},
	{"lookup", func(ctx context.Context, p *proxy.Proxy, r *rand.Rand) error {
		_, err := p.Call(ctx, "lookup", randomName(r))
		if errors.Is(err, errNaming) {
			return nil // unknown names are the common case
		}
		return err
	}},
	{"list prefix", func(ctx context.Context, p *proxy.Proxy, _ *rand.Rand) error {
		_, err := p.CallKw(ctx, "list", nil, map[string]any{"prefix": "stresstest.51"})
		return err
	}},
	{"list regex", func(ctx context.Context, p *proxy.Proxy, _ *rand.Rand) error {
		_, err := p.CallKw(ctx, "list", nil, map[string]any{"regex": `stresstest\.??\.41.*`})
		return err
	}},
}

func run(nsURI, storage, serverType, serializer string, clients int, d time.Duration, out io.Writer) error {
	if nsURI == "" {
		cfg := config.Default()
		cfg.ServerType = serverType
		cfg.ThreadPoolSize = max(cfg.ThreadPoolSize, clients+8)
		ns, err := naming.StartNS(naming.NSOptions{Host: "127.0.0.1", NoBroadcast: true,
			Storage: storage, Config: &cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			return err
		}
		defer ns.Close()
		go ns.Serve(context.Background())
		nsURI = ns.URI.String()
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	pcfg := config.Default()
	pcfg.Serializer = serializer
	setup, err := proxy.New(nsURI, proxy.Options{Config: &pcfg})
	if err != nil {
		return err
	}
	defer setup.Close()
	if _, err := setup.CallKw(context.Background(), "remove", nil, map[string]any{"prefix": "stresstest."}); err != nil {
		return err
	}
	fmt.Fprintf(out, "name server %s, %d clients, %s, %s\n", nsURI, clients, serializer, d)

	lat := make([][][]time.Duration, clients) // client -> op -> samples
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := 0; c < clients; c++ {
		lat[c] = make([][]time.Duration, len(ops))
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(c), 42))
			p, err := proxy.New(nsURI, proxy.Options{Config: &pcfg})
			if err != nil {
				errs <- err
				return
			}
			defer p.Close()
			if err := p.Bind(context.Background()); err != nil {
				errs <- err
				return
			}
			for ctx.Err() == nil {
				i := r.IntN(len(ops))
				start := time.Now()
				if err := ops[i].do(ctx, p, r); err != nil {
					if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
						return // the run ended mid-call
					}
					errs <- fmt.Errorf("%s: %w", ops[i].name, err)
					return
				}
				lat[c][i] = append(lat[c][i], time.Since(start))
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	n, err := setup.CallKw(context.Background(), "remove", nil, map[string]any{"prefix": "stresstest."})
	if err != nil {
		return err
	}
	report(out, lat, d)
	fmt.Fprintf(out, "cleaned up %v names.\n", n)
	return nil
}

func report(out io.Writer, lat [][][]time.Duration, d time.Duration) {
	tw := tabwriter.NewWriter(out, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tops\tops/s\tp50\tp99\tp99.9\t")
	var total int
	for i, o := range ops {
		var all []time.Duration
		for c := range lat {
			all = append(all, lat[c][i]...)
		}
		slices.Sort(all)
		total += len(all)
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%s\t\n", o.name, len(all), float64(len(all))/d.Seconds(),
			pct(all, 0.50), pct(all, 0.99), pct(all, 0.999))
	}
	fmt.Fprintf(tw, "all\t%d\t%.0f\t\t\t\t\n", total, float64(total)/d.Seconds())
	tw.Flush()
}

func pct(s []time.Duration, p float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, int(float64(len(s))*p))].Round(time.Microsecond)
}
