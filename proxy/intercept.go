package proxy

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/wire"
)

// ClientCall describes a method call an Options.Intercept wraps.
type ClientCall struct {
	// URI is the proxy's URI (as given: a PYRONAME stays one).
	URI pyval.URI
	// Method is the remote method's name.
	Method string
	// Oneway reports a call made with Oneway (a method the metadata marks
	// oneway is still called oneway, but is not reported as such here).
	Oneway bool
	// Annotations are added to the request (4-character keys, CORR and
	// HMAC excluded): tracing puts the trace context there.
	Annotations map[string][]byte
}

// SetAnnotation adds a request annotation to the call.
func (c *ClientCall) SetAnnotation(key string, value []byte) error {
	if err := checkAnnotationKey(key); err != nil {
		return err
	}
	if c.Annotations == nil {
		c.Annotations = map[string][]byte{}
	}
	c.Annotations[key] = value
	return nil
}

// ClientInterceptor wraps a proxy's method calls (Call, CallKw, Oneway,
// retries included): it must call invoke once and return what it returned
// or an error of its own.
type ClientInterceptor func(ctx context.Context, call *ClientCall, invoke func(ctx context.Context) (any, error)) (any, error)

func checkAnnotationKey(key string) error {
	if len(key) != 4 {
		return fmt.Errorf("%w %q: not 4 characters", ErrAnnotationKey, key)
	}
	if key == "HMAC" || key == "CORR" {
		return fmt.Errorf("%w %q: reserved", ErrAnnotationKey, key)
	}
	return nil
}

// intercepted runs a call through Options.Intercept.
func (p *Proxy) intercepted(ctx context.Context, method string, oneway bool, run func(ctx context.Context, extra []wire.Annotation) (any, error)) (any, error) {
	cc := &ClientCall{URI: p.URI(), Method: method, Oneway: oneway}
	return p.opts.Intercept(ctx, cc, func(ctx context.Context) (any, error) {
		var extra []wire.Annotation
		for _, k := range slices.Sorted(maps.Keys(cc.Annotations)) {
			if err := checkAnnotationKey(k); err != nil {
				return nil, err
			}
			extra = append(extra, wire.Annotation{Key: k, Value: cc.Annotations[k]})
		}
		return run(ctx, extra)
	})
}
