package dispatch

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
)

// twoGen has a method for each generation and one for both.
type twoGen struct{}

func (twoGen) Both() string { return "both" }
func (twoGen) Four() string { return "four" }
func (twoGen) Five() string { return "five" }
func (twoGen) PyroExpose() Exposure {
	return Exposure{Protocol: map[string]int{"Four": 48, "Five": 502}}
}

func TestExposureProtocol(t *testing.T) {
	r := NewRegistry(Options{})
	if _, err := r.Register(twoGen{}, "g", false); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		protocol int
		methods  []string
	}{
		{0, []string{"both", "five", "four"}},
		{48, []string{"both", "four"}},
		{502, []string{"both", "five"}},
	} {
		md, err := r.MetadataFor("g", tc.protocol)
		if err != nil || !slices.Equal(md.Methods, tc.methods) {
			t.Errorf("MetadataFor(%d) = %v, %v; want %v", tc.protocol, md.Methods, err, tc.methods)
		}
		for _, name := range []string{"both", "four", "five"} {
			cc := &CallContext{Protocol: tc.protocol}
			res, err := r.Invoke(context.Background(), cc, &serial.Call{Object: "g", Method: name})
			if slices.Contains(tc.methods, name) {
				if err != nil || res != name {
					t.Errorf("protocol %d: %s() = %v, %v", tc.protocol, name, res, err)
				}
				continue
			}
			var exc *pyval.Exception
			if !errors.As(err, &exc) || exc.Class != pyval.ClassAttributeError || exc.Message() != "'twoGen' object has no attribute '"+name+"'" {
				t.Errorf("protocol %d: %s() = %v, %v; want the AttributeError of a missing name", tc.protocol, name, res, err)
			}
		}
	}
	if md, _ := r.Metadata("g"); len(md.Methods) != 3 {
		t.Errorf("Metadata lists %v, want all three", md.Methods)
	}
}

type badGen struct{}

func (badGen) M()                   {}
func (badGen) PyroExpose() Exposure { return Exposure{Protocol: map[string]int{"M": 5}} }

func TestExposureProtocolInvalid(t *testing.T) {
	r := NewRegistry(Options{})
	if _, err := r.Register(badGen{}, "b", false); !errors.Is(err, ErrExposure) {
		t.Errorf("Register with protocol 5: %v, want ErrExposure", err)
	}
}
