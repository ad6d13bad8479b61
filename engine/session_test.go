package engine

import (
	"context"
	"testing"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

type recorder struct{ got []string }

func (r *recorder) Record(s string)    { r.got = append(r.got, s) }
func (*recorder) Echo(s string) string { return s }

// TestThreadedOnewayKeepsItsArguments: the session decodes every call into
// one reused Args array; a threaded oneway call runs later, after the next
// call was decoded over that array, and must still see its own arguments.
func TestThreadedOnewayKeepsItsArguments(t *testing.T) {
	for _, codec := range []serial.Codec{serial.Serpent, serial.JSON, serial.Marshal} {
		t.Run(codec.Name(), func(t *testing.T) {
			cfg := config.Default()
			cfg.OnewayThreaded = true
			d, err := New(Options{Host: "127.0.0.1", Config: &cfg})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			rec := &recorder{}
			if _, err := d.Register(rec, "rec", false); err != nil {
				t.Fatal(err)
			}
			var h held // the queue's workers run when the test says
			d.core.oneways.quiesce()
			s := readySession(t, d, codec, h.spawn)
			send := func(method, arg string, flags wire.Flags) {
				t.Helper()
				data, err := codec.MarshalCall(nil, &serial.Call{Object: "rec", Method: method, Args: []any{arg}}, nil)
				if err != nil {
					t.Fatal(err)
				}
				frame, _ := wire.Append(nil, &wire.Message{Type: wire.MsgInvoke, Flags: flags, Seq: 1, SerializerID: uint16(codec.ID()), Data: data}, nil)
				if _, out, closeAfter := s.Process(context.Background(), frame, nil); closeAfter {
					t.Fatalf("%s closed the connection: %q", method, out)
				}
			}
			send("record", "oneway argument", wire.FlagOneway)
			send("echo", "next call", 0)
			h.runAll()
			if len(rec.got) != 1 || rec.got[0] != "oneway argument" {
				t.Errorf("the oneway call saw %q, want [\"oneway argument\"]", rec.got)
			}
		})
	}
}

// A request without a correlation id gets a fresh version 4 UUID, as
// Pyro4's uuid.uuid4(): unique within a session and across sessions.
func TestFreshCorrelationIDs(t *testing.T) {
	d := benchDaemon(t)
	seen := make(map[[16]byte]bool)
	for range 2 {
		s := d.core.NewSession(nil, nil)
		for range 1000 {
			s.newCorrelation()
			id := s.corr
			if id[6]>>4 != 4 || id[8]>>6 != 2 {
				t.Fatalf("%x is not a version 4 UUID", id)
			}
			if seen[id] {
				t.Fatalf("%x drawn twice", id)
			}
			seen[id] = true
		}
	}
}
