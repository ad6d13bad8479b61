// Package main is the comparison run's server of the Go peers of gyro a Go
// user would pick instead, each serving an echo of bytes for compare's Go
// peers section: net/rpc with gob (-kind peer-netrpc), and grpc-go with a
// protobuf message (wrapperspb.BytesValue both ways) and a hand-written
// service description, as protoc-gen-go-grpc would generate (-kind
// peer-grpc). It prints "READY <addr>" once it listens on 127.0.0.1. It is
// a command of its own so that bench/cmd/server, which serves gyro, links
// neither grpc-go nor protobuf: their packages' data is the collector's
// to mark on every cycle of the process that links them.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/rpc"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/gyro-rpc/gyro/bench/internal/benchserve"
)

func main() {
	kind := flag.String("kind", "peer-grpc", "peer-netrpc|peer-grpc")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file, ended by SIGTERM or SIGINT")
	flag.Parse()
	if *cpuProfile != "" {
		if err := benchserve.ProfileUntilSignal(*cpuProfile); err != nil {
			log.Fatal(err)
		}
	}
	if err := servePeer(*kind); err != nil {
		log.Fatal(err)
	}
}

// PeerRPC is the net/rpc echo of bytes.
type PeerRPC struct{}

// Echo returns its argument.
func (PeerRPC) Echo(arg *[]byte, reply *[]byte) error { *reply = *arg; return nil }

// grpcEchoDesc serves /gyro.bench.Echo/Echo, which compare's
// grpcEchoMethod calls.
var grpcEchoDesc = grpc.ServiceDesc{
	ServiceName: "gyro.bench.Echo",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Echo",
		Handler: func(_ any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.BytesValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			return in, nil
		},
	}},
	Metadata: "echo.proto",
}

// servePeer serves the peer kinds: peer-netrpc and peer-grpc.
func servePeer(kind string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	switch kind {
	case "peer-netrpc":
		srv := rpc.NewServer()
		if err := srv.RegisterName("Peer", PeerRPC{}); err != nil {
			return err
		}
		benchserve.Ready(ln.Addr().String())
		srv.Accept(ln)
		return nil
	case "peer-grpc":
		srv := grpc.NewServer()
		srv.RegisterService(&grpcEchoDesc, struct{}{})
		benchserve.Ready(ln.Addr().String())
		return srv.Serve(ln)
	}
	ln.Close()
	return fmt.Errorf("unknown kind %q", kind)
}
