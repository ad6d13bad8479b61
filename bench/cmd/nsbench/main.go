package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/internal/etcdtest"
	"github.com/gyro-rpc/gyro/naming"
	"github.com/gyro-rpc/gyro/naming/etcdstore"
	"github.com/gyro-rpc/gyro/proxy"
)

func main() {
	var o options
	flag.DurationVar(&o.d, "d", 2*time.Second, "how long each operation runs per configuration")
	flag.IntVar(&o.clients, "c", 8, "concurrent clients")
	flag.IntVar(&o.names, "n", 1000, "names registered before measuring")
	flag.IntVar(&o.members, "members", 3, "etcd cluster members")
	flag.BoolVar(&o.noPyro, "nopyro4", false, "skip Pyro4's name server")
	flag.Parse()
	if err := run(o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "nsbench:", err)
		os.Exit(1)
	}
}

type options struct {
	d                       time.Duration
	clients, names, members int
	noPyro                  bool
}

// op is one measured remote call on a name server proxy.
type op struct {
	name string
	do   func(ctx context.Context, p *proxy.Proxy, r *rand.Rand, names int) error
}

var ops = []op{
	{"lookup", func(ctx context.Context, p *proxy.Proxy, r *rand.Rand, n int) error {
		_, err := p.Call(ctx, "lookup", "svc."+strconv.Itoa(r.IntN(n)))
		return err
	}},
	{"list prefix", func(ctx context.Context, p *proxy.Proxy, _ *rand.Rand, _ int) error {
		_, err := p.CallKw(ctx, "list", nil, map[string]any{"prefix": "svc.1"})
		return err
	}},
	{"register", func(ctx context.Context, p *proxy.Proxy, r *rand.Rand, n int) error {
		i := r.IntN(n)
		_, err := p.Call(ctx, "register", "svc."+strconv.Itoa(i), "PYRO:obj"+strconv.Itoa(i)+"@127.0.0.1:5000")
		return err
	}},
}

// target is a configuration under test: the URIs its clients use.
type target struct {
	name string
	uris []string
}

func run(o options, out io.Writer) error {
	dir, err := os.MkdirTemp("", "nsbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var targets []target
	var closers []func()
	defer func() {
		for _, c := range slices.Backward(closers) {
			c()
		}
	}()
	if !o.noPyro {
		uri, stop, err := startPyro4NS()
		if err != nil {
			return fmt.Errorf("Pyro4 name server: %w", err)
		}
		closers = append(closers, stop)
		targets = append(targets, target{"pyro4 (memory)", []string{uri}})
	}
	for _, kind := range []string{"memory", "bolt"} {
		spec := kind
		if kind == "bolt" {
			spec = "bolt:" + filepath.Join(dir, "ns.db")
		}
		ns, err := startNS(naming.NSOptions{Storage: spec})
		if err != nil {
			return err
		}
		closers = append(closers, func() { ns.Close() })
		targets = append(targets, target{"gyro " + kind, []string{ns.URI.String()}})
	}
	if etcdtest.Available() {
		c, err := etcdtest.Launch(filepath.Join(dir, "etcd"), o.members)
		if err != nil {
			return err
		}
		closers = append(closers, c.Stop)
		for _, n := range []int{1, 3} {
			prefix := fmt.Sprintf("/nsbench/%d/", n)
			t := target{name: fmt.Sprintf("gyro etcd, %d ns", n)}
			for range n {
				st, err := etcdstore.Open(context.Background(), etcdstore.Options{Endpoints: c.Endpoints(), Prefix: prefix})
				if err != nil {
					return err
				}
				ns, err := startNS(naming.NSOptions{Store: st})
				if err != nil {
					st.Close()
					return err
				}
				closers = append(closers, func() { ns.Close() })
				t.uris = append(t.uris, ns.URI.String())
			}
			targets = append(targets, t)
		}
	} else {
		fmt.Fprintln(out, "etcd not installed (apt-get install etcd-server): etcd rows skipped")
	}

	fmt.Fprintf(out, "%d names, %d clients, %v per operation; etcd: %d members on loopback\n\n", o.names, o.clients, o.d, o.members)
	tw := tabwriter.NewWriter(out, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "name servers\toperation\tcalls/s\tp50\tp99\t")
	for _, t := range targets {
		if err := fill(t.uris[0], o.names); err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		for _, op := range ops {
			lat, err := measure(t.uris, op, o)
			if err != nil {
				return fmt.Errorf("%s %s: %w", t.name, op.name, err)
			}
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%v\t%v\t\n", t.name, op.name, float64(len(lat))/o.d.Seconds(), pct(lat, 0.5), pct(lat, 0.99))
		}
	}
	return tw.Flush()
}

func startNS(opts naming.NSOptions) (*naming.NS, error) {
	cfg := config.Default()
	opts.Host, opts.Port, opts.NoBroadcast, opts.Config = "127.0.0.1", 0, true, &cfg
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ns, err := naming.StartNS(opts)
	if err != nil {
		return nil, err
	}
	go ns.Serve(context.Background())
	return ns, nil
}

var uriLine = regexp.MustCompile(`^URI = (\S+)`)

// startPyro4NS runs python3 -m Pyro4.naming on a free loopback port.
func startPyro4NS() (string, func(), error) {
	cmd := exec.Command("/usr/bin/python3", "-m", "Pyro4.naming", "-n", "127.0.0.1", "-p", "0", "-x")
	cmd.Env = append(os.Environ(), "PYRO_HMAC_KEY=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := uriLine.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, stdout)
			return m[1], stop, nil
		}
	}
	stop()
	return "", nil, errors.New("exited without printing its URI")
}

// dial connects a proxy now, so the connection is not part of any call's
// latency.
func dial(ctx context.Context, uri string) (*proxy.Proxy, error) {
	p, err := proxy.New(uri, proxy.Options{})
	if err != nil {
		return nil, err
	}
	if err := p.Bind(ctx); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// fill registers svc.0 ... svc.n-1.
func fill(uri string, n int) error {
	ctx := context.Background()
	p, err := dial(ctx, uri)
	if err != nil {
		return err
	}
	defer p.Close()
	for i := range n {
		if _, err := p.Call(ctx, "register", "svc."+strconv.Itoa(i), "PYRO:obj"+strconv.Itoa(i)+"@127.0.0.1:5000"); err != nil {
			return err
		}
	}
	return nil
}

// measure runs op from o.clients clients for o.d, spread over uris, and
// returns every call's latency.
func measure(uris []string, op op, o options) ([]time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), o.d)
	defer cancel()
	lat := make([][]time.Duration, o.clients)
	errs := make(chan error, o.clients)
	var wg sync.WaitGroup
	for c := range o.clients {
		p, err := dial(context.Background(), uris[c%len(uris)])
		if err != nil {
			return nil, err
		}
		defer p.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(c), 7))
			for ctx.Err() == nil {
				start := time.Now()
				if err := op.do(ctx, p, r, o.names); err != nil {
					// a socket deadline taken from ctx can fire just
					// before ctx itself reports the end
					if ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
						errs <- err
					}
					return
				}
				lat[c] = append(lat[c], time.Since(start))
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	return all, nil
}

func pct(s []time.Duration, p float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, int(float64(len(s))*p))].Round(time.Microsecond)
}
