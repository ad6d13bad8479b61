package engine_test

import (
	"context"
	"testing"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// Recorder keeps a request annotation beyond its call, as a method may.
type Recorder struct{ kept []byte }

func (r *Recorder) Remember(ctx context.Context) {
	cc, _ := dispatch.FromContext(ctx)
	r.kept = cc.Annotations["XTRA"]
}

func (r *Recorder) Recall() string { return string(r.kept) }

// TestAnnotationsOutliveTheFrame: a method that keeps a request annotation
// still sees its own value after later frames arrived (on the reactors the
// frame's bytes live in a reused read buffer).
func TestAnnotationsOutliveTheFrame(t *testing.T) {
	d, _ := startEcho(t, nil)
	if _, err := d.Register(&Recorder{}, "recorder", false); err != nil {
		t.Fatal(err)
	}
	c := dialRaw(t, d)
	c.handshake("recorder")
	call := func(method, xtra string) any {
		c.seq++
		data, _ := serial.Serpent.MarshalCall(nil, &serial.Call{Object: "recorder", Method: method}, nil)
		c.send(&wire.Message{Type: wire.MsgInvoke, Seq: c.seq, SerializerID: serial.IDSerpent, Data: data,
			Annotations: []wire.Annotation{{Key: "XTRA", Value: []byte(xtra)}}})
		v, err := serial.Serpent.Unmarshal(c.recv().Data)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := call("remember", "aaaa"); v != nil {
		if e, ok := v.(*pyval.Exception); ok {
			t.Fatal(e)
		}
	}
	if got := call("recall", "bbbb"); got != "aaaa" {
		t.Fatalf("kept annotation reads %q after the next frame, want %q", got, "aaaa")
	}
}
