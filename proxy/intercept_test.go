package proxy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gyro-rpc/gyro/proxy"
)

func TestInterceptAddsAnnotations(t *testing.T) {
	f := newFake(t)
	var seen []string
	p, err := proxy.New(f.URI(), proxy.Options{
		Intercept: func(ctx context.Context, c *proxy.ClientCall, invoke func(context.Context) (any, error)) (any, error) {
			seen = append(seen, c.Method)
			if err := c.SetAnnotation("TEST", []byte(c.Method)); err != nil {
				return nil, err
			}
			return invoke(ctx)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := testCtx(t)
	if v, err := p.Call(ctx, "echo", 1); err != nil || v != int64(1) {
		t.Fatalf("echo = %v, %v", v, err)
	}
	if err := p.Oneway(ctx, "ow"); err != nil {
		t.Fatal(err)
	}
	// the fake serves in order: its reply means it read the oneway call
	if _, err := p.Call(ctx, "seq"); err != nil {
		t.Fatal(err)
	}
	inv := f.Invokes()
	if len(inv) != 3 || len(seen) != 3 || seen[0] != "echo" || seen[1] != "ow" || seen[2] != "seq" {
		t.Fatalf("%d invokes, intercepted %v", len(inv), seen)
	}
	for i, m := range inv {
		if v, _ := m.Annotation("TEST"); string(v) != seen[i] {
			t.Errorf("invoke %d: TEST = %q, want %q", i, v, seen[i])
		}
	}
}

func TestInterceptReservedKey(t *testing.T) {
	f := newFake(t)
	p, err := proxy.New(f.URI(), proxy.Options{
		Intercept: func(ctx context.Context, c *proxy.ClientCall, invoke func(context.Context) (any, error)) (any, error) {
			c.Annotations = map[string][]byte{"HMAC": []byte("forged")}
			return invoke(ctx)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Call(testCtx(t), "echo", 1); !errors.Is(err, proxy.ErrAnnotationKey) {
		t.Fatalf("HMAC annotation from an interceptor: %v, want ErrAnnotationKey", err)
	}
}
