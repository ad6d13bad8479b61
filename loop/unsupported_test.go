//go:build !unix

package loop

import (
	"errors"
	"testing"
)

// TestUnsupported: where there is no reactor, everything that would need it
// says so with an error that errors.Is recognises.
func TestUnsupported(t *testing.T) {
	if l, err := New(&nopHandler{}, Options{}); l != nil || !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("New = %v, %v; want nil, ErrUnsupported", l, err)
	}
	if w, err := NewWaker(); w != nil || !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("NewWaker = %v, %v; want nil, ErrUnsupported", w, err)
	}
	var p Poller
	if _, err := p.Wait(0, nil); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Poller.Wait = %v, want ErrUnsupported", err)
	}
}

type nopHandler struct{}

func (nopHandler) OnOpen(*Conn)             {}
func (nopHandler) OnData(*Conn, []byte) int { return 0 }
func (nopHandler) OnClose(*Conn, error)     {}
