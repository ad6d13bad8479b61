// Package main is the benchmark server command. It serves one benchmark target on 127.0.0.1 and prints
// "READY <addr>" once it listens: a gyro daemon of any server type with
// bench.py's object, net/rpc with an equivalent service, or a raw echo of
// Pyro4's framing on gnet, evio or gyro's loop, or a plain ping-pong echo.
//
// The gyro daemons run in a process that links what a program serving gyro
// links: the packages a program links put their data on the heap the
// collector marks on every cycle, and grpc-go's and Prometheus' (with
// protobuf's registry) made that cycle half as dear again in the batch
// workload. So the Go peers (net/rpc of bytes, grpc-go) are
// bench/cmd/peerserver's, and -metrics needs a build without the
// nometrics tag: compare builds this command twice, with the tag for the
// plain gyro targets and without it for the +metrics ones.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/rpc"
	"os"
	"strings"

	"github.com/panjf2000/gnet/v2"
	"github.com/tidwall/evio"

	"github.com/gyro-rpc/gyro/bench/internal/benchserve"
	"github.com/gyro-rpc/gyro/bench/internal/benchtls"
	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/benchobj"
	"github.com/gyro-rpc/gyro/loop"
	_ "github.com/gyro-rpc/gyro/multicore" // -kind gyro-multicore
	"github.com/gyro-rpc/gyro/wire"
)

func main() {
	kind := flag.String("kind", "gyro-multicore", "gyro-thread|gyro-multiplex|gyro-multicore|netrpc|echo-gnet|echo-evio|echo-loop|pingpong")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file, ended by SIGTERM or SIGINT")
	withMetrics := flag.Bool("metrics", false, "gyro kinds: observe calls with package metrics (Prometheus), to measure its cost")
	threads := flag.Int("threads", 200, "gyro-thread: THREADPOOL_SIZE, the most connections it serves at once (200: Pyro4's and bench/pyro4server.py's)")
	tlsDir := flag.String("tls", "", "gyro kinds: serve TLS (Pyro's SSL_* items) with the certificates of package benchtls in this directory, made at startup when it has none")
	flag.Parse()
	if *cpuProfile != "" {
		if err := benchserve.ProfileUntilSignal(*cpuProfile); err != nil {
			log.Fatal(err)
		}
	}
	var err error
	switch {
	case strings.HasPrefix(*kind, "gyro-"):
		err = serveGyro(strings.TrimPrefix(*kind, "gyro-"), *threads, *withMetrics, *tlsDir)
	case *kind == "netrpc":
		err = serveRPC()
	case *kind == "echo-gnet":
		err = serveGnet()
	case *kind == "echo-evio":
		err = serveEvio()
	case *kind == "echo-loop":
		err = serveLoop()
	case *kind == "pingpong":
		err = servePingPong()
	default:
		err = fmt.Errorf("unknown kind %q", *kind)
	}
	if err != nil {
		log.Fatal(err)
	}
}

func serveGyro(st string, threads int, withMetrics bool, tlsDir string) error {
	cfg := config.Default()
	cfg.ServerType = st
	cfg.ThreadPoolSize = threads
	if tlsDir != "" {
		f := benchtls.Paths(tlsDir)
		if _, err := os.Stat(f.Key); err != nil {
			if f, err = benchtls.Generate(tlsDir); err != nil {
				return err
			}
		}
		cfg.SSL, cfg.SSLServerCert, cfg.SSLServerKey = true, f.Cert, f.Key
	}
	opts := engine.Options{Host: "127.0.0.1", Config: &cfg}
	if withMetrics {
		icpt, err := metricsInterceptor()
		if err != nil {
			return err
		}
		opts.Interceptors = []engine.Interceptor{icpt}
	}
	d, err := engine.New(opts)
	if err != nil {
		return err
	}
	if _, err := d.Register(benchobj.Bench{}, benchobj.ObjectID, false); err != nil {
		return err
	}
	benchserve.Ready(d.Addr().String())
	return d.RequestLoop(nil)
}

// BenchRPC is the net/rpc counterpart of bench.py's echo.
type BenchRPC struct{}

// Echo returns its argument.
func (BenchRPC) Echo(arg *string, reply *string) error { *reply = *arg; return nil }

func serveRPC() error {
	srv := rpc.NewServer()
	if err := srv.Register(BenchRPC{}); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	benchserve.Ready(ln.Addr().String())
	srv.Accept(ln)
	return nil
}

// complete returns the size of the whole frames at the front of b, or an
// error for a bad header.
func complete(b []byte) (int, error) {
	n := 0
	for len(b)-n >= wire.HeaderSize {
		h, err := wire.ParseHeader(b[n:])
		if err != nil {
			return 0, err
		}
		if len(b)-n < h.FrameSize() {
			break
		}
		n += h.FrameSize()
	}
	return n, nil
}

type gnetEcho struct {
	gnet.BuiltinEventEngine
	addr string
}

func (g *gnetEcho) OnBoot(gnet.Engine) gnet.Action { benchserve.Ready(g.addr); return gnet.None }

// OnTraffic echoes every whole frame of the batch with one write.
func (g *gnetEcho) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Peek(c.InboundBuffered())
	n, err := complete(buf)
	if err != nil {
		return gnet.Close
	}
	if n > 0 {
		c.Write(buf[:n])
		c.Discard(n)
	}
	return gnet.None
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func serveGnet() error {
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	return gnet.Run(&gnetEcho{addr: addr}, "tcp4://"+addr, gnet.WithMulticore(true), gnet.WithTCPNoDelay(gnet.TCPNoDelay))
}

func serveEvio() error {
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	var ev evio.Events
	ev.NumLoops = -1 // one per core
	ev.Serving = func(evio.Server) evio.Action { benchserve.Ready(addr); return evio.None }
	ev.Opened = func(c evio.Conn) ([]byte, evio.Options, evio.Action) {
		c.SetContext(&evio.InputStream{})
		return nil, evio.Options{TCPKeepAlive: 0}, evio.None
	}
	ev.Data = func(c evio.Conn, in []byte) ([]byte, evio.Action) {
		is := c.Context().(*evio.InputStream)
		data := is.Begin(in)
		n, err := complete(data)
		if err != nil {
			return nil, evio.Close
		}
		out := append([]byte(nil), data[:n]...)
		is.End(data[n:])
		return out, evio.None
	}
	return evio.Serve(ev, "tcp://"+addr)
}

type loopEcho struct{}

func (loopEcho) OnOpen(*loop.Conn)         {}
func (loopEcho) OnClose(*loop.Conn, error) {}
func (loopEcho) OnData(c *loop.Conn, in []byte) int {
	n, err := complete(in)
	if err != nil {
		c.Close()
		return len(in)
	}
	if n > 0 {
		c.Write(in[:n])
	}
	return n
}

func serveLoop() error {
	l, err := loop.New(loopEcho{}, loop.Options{})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	if _, err := l.AddListener(ln); err != nil {
		return err
	}
	benchserve.Ready(ln.Addr().String())
	return l.Run(context.Background())
}

// servePingPong is the floor: a goroutine per connection copying bytes.
func servePingPong() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	benchserve.Ready(ln.Addr().String())
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			io.Copy(c, c)
		}()
	}
}

func init() { log.SetOutput(os.Stderr) }
