//go:build !unix

package combine

import (
	"errors"
	"testing"
)

type nopMember struct{}

func (nopMember) Sockets() []int           { return nil }
func (nopMember) Events(ready []int) error { return nil }

// TestUnsupported: without a reactor, Combine says so.
func TestUnsupported(t *testing.T) {
	if l, err := Combine(nopMember{}); l != nil || !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Combine = %v, %v; want nil, ErrUnsupported", l, err)
	}
}
