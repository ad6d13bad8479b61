package proxy

import (
	"context"

	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/wire"
)

// Batch collects calls to send in one request (Pyro4's batch proxy). The
// server runs them in order and stops at the first exception. Method names
// are not checked locally, as in Pyro4. A Batch is not safe for concurrent
// use.
type Batch struct {
	p     *Proxy
	calls []any
}

// Batch returns an empty batch for p.
func (p *Proxy) Batch() *Batch { return &Batch{p: p} }

// Add queues a call of method with positional arguments.
func (b *Batch) Add(method string, args ...any) {
	b.calls = append(b.calls, pyval.Tuple{method, pyval.Tuple(args), emptyKwargs})
}

// AddKw queues a call with keyword arguments.
func (b *Batch) AddKw(method string, args []any, kwargs map[string]any) {
	b.calls = append(b.calls, pyval.Tuple{method, pyval.Tuple(args), kwargsDict(kwargs)})
}

// Len returns the number of queued calls.
func (b *Batch) Len() int { return len(b.calls) }

// Run sends the queued calls and returns their results in order. When one
// of them raises, Run returns the results of the calls before it together
// with that call's exception (a *pyval.Exception); the calls after it did
// not run. An unknown or private method name anywhere in the batch fails it
// as a whole, with no results.
//
// Run empties the batch, whatever the outcome, so it can be reused. (Pyro4
// keeps the calls when the request fails, so the next run would send them
// again; that is seldom what the caller means.)
func (b *Batch) Run(ctx context.Context) ([]any, error) {
	v, err := b.run(ctx, 0)
	if err != nil {
		return nil, err
	}
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case pyval.Tuple:
		items = x
	default:
		return nil, pyval.Errorf(pyval.ClassProtocolError, "batch result is a %s", pyval.TypeName(v))
	}
	results := make([]any, 0, len(items))
	for _, it := range items {
		if w, ok := it.(pyval.ExceptionWrapper); ok {
			return results, w.Exception
		}
		results = append(results, it)
	}
	return results, nil
}

// RunOneway sends the queued calls as a oneway batch: the server runs them
// but sends no results and no errors. It empties the batch.
func (b *Batch) RunOneway(ctx context.Context) error {
	_, err := b.run(ctx, wire.FlagOneway)
	return err
}

func (b *Batch) run(ctx context.Context, flags wire.Flags) (any, error) {
	p := b.p
	calls := b.calls
	b.calls = nil
	if p.opts.Pipeline {
		pp, err := p.pipeFor(ctx, false)
		if err != nil {
			return nil, err
		}
		return p.pipeInvoke(ctx, pp, "", "<batch>", calls, nil, wire.FlagBatch|flags, true, nil)
	}
	o, err := p.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer p.end()
	// vargs is the list of (method, args, kwargs) entries, kwargs None.
	return p.invoke(o, "", "<batch>", calls, nil, wire.FlagBatch|flags, true)
}
