package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/naming"
	"github.com/gyro-rpc/gyro/naming/etcdstore"
)

// nsServe is `gyro ns`, pyro4-ns: a name server on the options' address
// that prints what pyro4-ns prints and runs until ctx is done.
func nsServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gyro ns", flag.ContinueOnError)
	fs.SetOutput(stderr)
	setUsage(fs, "gyro ns [options]", "")
	var (
		host, unixSocket, storage, bchost, nathost, key string
		etcdPrefix                                      string
		etcdTimeout                                     time.Duration
		httpAddr                                        string
		port, bcport                                    optPort
		natport                                         int
		noBroadcast                                     bool
	)
	stringFlag(fs, &host, "", "n", "host", "hostname to bind server on")
	fs.Var(&port, "p", "`port` to bind server on (default NS_PORT, 9090; 0=random)")
	fs.Var(&port, "port", "`port` to bind server on (default NS_PORT, 9090; 0=random)")
	stringFlag(fs, &unixSocket, "", "u", "unixsocket", "Unix domain socket name to bind server on")
	stringFlag(fs, &storage, "memory", "s", "storage", "Storage system to use (memory, bolt:file, etcd:http://host:port[,http://host2:port...])")
	fs.StringVar(&etcdPrefix, "etcd-prefix", etcdstore.DefaultPrefix, "key prefix of the registry in etcd (name servers sharing it serve one registry)")
	fs.DurationVar(&etcdTimeout, "etcd-timeout", etcdstore.DefaultTimeout, "bound on every etcd request, and on the age of cached listings")
	fs.StringVar(&bchost, "bchost", "", `hostname to bind broadcast server on (default is "")`)
	fs.Var(&bcport, "bcport", "`port` to bind broadcast server on (default NS_BCPORT, 9091; 0=random)")
	fs.StringVar(&nathost, "nathost", "", "external hostname in case of NAT")
	fs.IntVar(&natport, "natport", 0, "external port in case of NAT")
	fs.BoolVar(&noBroadcast, "x", false, "don't start a broadcast server")
	fs.BoolVar(&noBroadcast, "nobc", false, "don't start a broadcast server")
	stringFlag(fs, &key, "", "k", "key", "the HMAC key to use (deprecated: use PYRO_HMAC_KEY)")
	httpFlag(fs, &httpAddr)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gyro ns: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	key, err := hmacKey(key, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	cfg, err := config.FromEnv()
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	logger := warnLogger(stderr)
	opts := naming.NSOptions{
		Host: host, Port: port.or(cfg.NSPort), UnixSocket: unixSocket,
		NATHost: nathost, NATPort: natport,
		NoBroadcast: noBroadcast, BCHost: bchost, BCPort: bcport.or(cfg.NSBCPort),
		Storage: storage, HMACKey: []byte(key), Config: &cfg,
		Logger: logger, Out: stdout,
	}
	if strings.HasPrefix(storage, "etcd:") {
		if opts.Store, err = openEtcd(ctx, storage, etcdPrefix, etcdTimeout, logger); err != nil {
			fmt.Fprintln(stderr, "error:", err)
			return 1
		}
	}
	mon, err := newMonitor(httpAddr, cfg.ServerType, logger)
	if err != nil {
		if opts.Store != nil {
			opts.Store.Close()
		}
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	if mon != nil {
		// the store is opened here so the monitor can count its names;
		// the name server closes it
		if opts.Store == nil {
			if opts.Store, err = naming.OpenStorage(storage); err != nil {
				fmt.Fprintln(stderr, "error:", err)
				return 1
			}
		}
		opts.Interceptors = mon.Interceptors()
		if err := mon.Metrics().ObserveNameServer(opts.Store); err != nil {
			opts.Store.Close()
			fmt.Fprintln(stderr, "error:", err)
			return 1
		}
		if err := listenMonitor(ctx, mon, httpAddr, stdout); err != nil {
			opts.Store.Close()
			fmt.Fprintln(stderr, "error:", err)
			return 1
		}
		defer mon.Close()
	}
	err = naming.StartNSLoop(ctx, opts)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}

// openEtcd opens the etcd store of -s etcd:URL[,URL...]; the name server
// closes it.
func openEtcd(ctx context.Context, spec, prefix string, timeout time.Duration, logger *slog.Logger) (naming.Storage, error) {
	eps, err := etcdstore.ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	return etcdstore.Open(ctx, etcdstore.Options{Endpoints: eps, Prefix: prefix, Timeout: timeout, Logger: logger})
}

// optPort is a port option that tells "not given" (Pyro4's None: the
// configured port) from 0 (a free port).
type optPort struct {
	set  bool
	port int
}

func (p *optPort) String() string {
	if p == nil || !p.set {
		return ""
	}
	return strconv.Itoa(p.port)
}

func (p *optPort) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 {
		return errors.New("invalid port")
	}
	p.set, p.port = true, n
	return nil
}

// or returns the port given, or def (a config port) when none was.
func (p optPort) or(def int) int {
	if !p.set {
		return def
	}
	return p.port
}

// stringFlag defines a string option under its short and long name, as
// Pyro4's tools have both.
func stringFlag(fs *flag.FlagSet, p *string, value, short, long, usage string) {
	fs.StringVar(p, short, value, usage)
	fs.StringVar(p, long, value, usage)
}

// parseFlags parses args; ok is false when the command must end with code
// (0 for -h, 2 for a usage error, which fs has reported).
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	return 0, true
}

// hmacKey returns the HMAC key as Pyro4's tools find it: -k (deprecated,
// with a warning) or PYRO_HMAC_KEY, never both.
func hmacKey(flagKey string, stderr io.Writer) (string, error) {
	if flagKey != "" {
		fmt.Fprintln(stderr, "warning: using -k to supply HMAC key on the command line is a security problem and is deprecated. Use PYRO_HMAC_KEY.")
	}
	if env, ok := os.LookupEnv("PYRO_HMAC_KEY"); ok {
		if flagKey != "" {
			return "", errors.New("error: don't use -k and PYRO_HMAC_KEY at the same time")
		}
		return env, nil
	}
	return flagKey, nil
}

// warnLogger is the daemons' logger: warnings and errors on stderr, so a
// command's stdout carries only what its Pyro4 counterpart prints.
func warnLogger(stderr io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
