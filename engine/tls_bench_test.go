package engine_test

import (
	"bufio"
	"crypto/tls"
	"net"
	"testing"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/gyrotls"
	"github.com/gyro-rpc/gyro/internal/testcerts"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// BenchmarkTLSPipelined measures 32 pipelined 64-byte echo calls per
// operation over TLS, per server type, plain TCP alongside: what TLS costs
// the loop (decrypting and encrypting on it, or on the workers).
func BenchmarkTLSPipelined(b *testing.B) {
	f := testcerts.New(b)
	const depth = 32
	data, err := serial.Serpent.MarshalCall(nil, &serial.Call{Object: "calc", Method: "echo", Args: []any{string(make([]byte, 64))}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	var batch []byte
	for i := range depth {
		if batch, err = wire.Append(batch, &wire.Message{Type: wire.MsgInvoke, Seq: uint16(i + 1), SerializerID: serial.IDSerpent, Data: data}, &wire.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	hello := connectFrame(b)
	for _, st := range []string{"thread", "multiplex", "multicore"} {
		for _, secure := range []bool{false, true} {
			name := st + "/plain"
			if secure {
				name = st + "/tls"
			}
			b.Run(name, func(b *testing.B) {
				cfg := config.Default()
				cfg.ServerType = st
				cfg.SSL, cfg.SSLServerCert, cfg.SSLServerKey = secure, f.ServerCert, f.ServerKey
				d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg})
				if err != nil {
					b.Fatal(err)
				}
				defer d.Close()
				d.Register(echoer{}, "calc", false)
				go d.RequestLoop(nil)
				defer d.Shutdown()
				cc, err := gyrotls.ClientConfig(cfg)
				if err != nil {
					b.Fatal(err)
				}
				var nc interface {
					Write([]byte) (int, error)
					Read([]byte) (int, error)
					Close() error
				}
				if secure {
					nc, err = tls.Dial("tcp", d.Addr().String(), gyrotls.ForHost(withCA(b, cc, f.CACert), "127.0.0.1"))
				} else {
					nc, err = dialTCP(d.Addr().String())
				}
				if err != nil {
					b.Fatal(err)
				}
				defer nc.Close()
				br := bufio.NewReaderSize(nc, 64<<10)
				opts := &wire.Options{}
				nc.Write(hello)
				if m, err := wire.ReadMessage(br, opts); err != nil || m.Type != wire.MsgConnectOK {
					b.Fatalf("handshake: %v", err)
				}
				b.SetBytes(int64(len(batch)))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if _, err := nc.Write(batch); err != nil {
						b.Fatal(err)
					}
					for range depth {
						if _, err := wire.ReadMessage(br, opts); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		}
	}
}

type echoer struct{}

func (echoer) Echo(s string) string { return s }

func withCA(b *testing.B, cc *tls.Config, ca string) *tls.Config {
	b.Helper()
	pool, err := gyrotls.LoadCAs(cc.RootCAs.Clone(), ca)
	if err != nil {
		b.Fatal(err)
	}
	c := cc.Clone()
	c.RootCAs = pool
	return c
}

func dialTCP(addr string) (*net.TCPConn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}
