package naming

import (
	"context"
	"fmt"
	"io"
	"os"
	"reflect"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/proxy"
)

// Object is one entry of ServeSimple's objects: Pyro4's dict of objects to
// names, as an ordered slice (Go map keys cannot be arbitrary objects).
type Object struct {
	// Obj is an object or a *dispatch.Class.
	Obj any
	// Name is the name (see ServeSimple); "" is Pyro4's None.
	Name string
}

// ServeSimpleOptions are Pyro4's serveSimple arguments. Unlike Pyro4, whose
// ns and verbose default to True, the zero value uses no name server and
// prints nothing.
type ServeSimpleOptions struct {
	// Host and Port bind the daemon ServeSimple creates when Daemon is
	// nil; ""/0 mean Config.Host and a free port.
	Host string
	Port int
	// Daemon, when set, is used instead of a new one. ServeSimple closes
	// it when it returns, as Pyro4's serveSimple does ("with daemon").
	Daemon *engine.Daemon
	// NS registers the named objects in the name server LocateNS finds.
	NS bool
	// Verbose prints every object's URI and name, then "Pyro daemon
	// running.".
	Verbose bool
	// Out receives the verbose output; nil means os.Stdout.
	Out io.Writer
	// Config is used for a new daemon and for locating the name server;
	// nil means config.Default().
	Config *config.Config
	// HMACKey is the new daemon's key, and the name server's.
	HMACKey []byte
	// Store and LeaseTTL, both set, register the named objects directly
	// in a name server's store under a lease this process keeps alive
	// (RegisterLeased) instead of through a located name server, so that
	// the names vanish some LeaseTTL after the process dies, and at once
	// when ServeSimple returns. The store must have leases (etcdstore);
	// otherwise ServeSimple fails with ErrLeasesUnsupported.
	Store    Storage
	LeaseTTL time.Duration
}

// ServeSimple publishes objects and runs the request loop until ctx is done
// or the daemon shuts down: Pyro4's Daemon.serveSimple.
//
// With a name server (opts.NS), every object gets a generated id in the
// daemon and objects with a Name are registered under it in the name
// server; objects without one are served but not published. Without a name
// server, Name is the object's id in the daemon ("" generates one). With
// opts.Verbose it prints, for each object,
//
//	Object <main.Thing object at 0xc000012345>:
//	    uri = PYRO:obj_6e0e...@localhost:41235
//	    name = mythingy
//
// (the name line only for a name registered in the name server), and then
// "Pyro daemon running.". An object implementing fmt.GoStringer is shown
// by its GoString, as Python shows repr().
func ServeSimple(ctx context.Context, objects []Object, opts ServeSimpleOptions) error {
	out := opts.Out
	if out == nil {
		out = os.Stdout
	}
	d := opts.Daemon
	if d == nil {
		var err error
		d, err = engine.New(engine.Options{Host: opts.Host, Port: opts.Port, Config: opts.Config, HMACKey: opts.HMACKey})
		if err != nil {
			return err
		}
	}
	defer d.Close()
	lease, err := publish(ctx, d, objects, opts, out)
	if err != nil {
		return err
	}
	if lease != nil {
		defer lease.Close()
	}
	if opts.Verbose {
		fmt.Fprintln(out, "Pyro daemon running.")
	}
	return d.Serve(ctx)
}

// publish registers the objects in the daemon and, with opts.NS, in the
// name server, which it releases before the loop starts; with a leased
// store, in the store under a lease it returns.
func publish(ctx context.Context, d *engine.Daemon, objects []Object, opts ServeSimpleOptions, out io.Writer) (Lease, error) {
	leased := opts.Store != nil && opts.LeaseTTL > 0
	if leased {
		if _, ok := opts.Store.(Leaser); !ok {
			return nil, ErrLeasesUnsupported // before anything is registered
		}
	}
	var ns *proxy.Proxy
	if opts.NS && !leased {
		var err error
		if ns, err = LocateNS(ctx, LocateOptions{Config: opts.Config, HMACKey: opts.HMACKey}); err != nil {
			return nil, err
		}
		defer ns.Close()
	}
	var regs []Registration
	for _, o := range objects {
		local := o.Name
		if ns != nil || leased {
			local = "" // the name is for the name server
		}
		uri, err := d.Register(o.Obj, local, false)
		if err != nil {
			return nil, err
		}
		if opts.Verbose {
			fmt.Fprintf(out, "Object %s:\n    uri = %s\n", objRepr(o.Obj), uri)
		}
		if o.Name == "" || (ns == nil && !leased) {
			continue
		}
		if leased {
			regs = append(regs, Registration{Name: o.Name, URI: uri.String()})
		} else if _, err := ns.Call(ctx, "register", o.Name, uri); err != nil {
			return nil, err
		}
		if opts.Verbose {
			fmt.Fprintf(out, "    name = %s\n", o.Name)
		}
	}
	if !leased {
		return nil, nil
	}
	return RegisterLeased(ctx, opts.Store, opts.LeaseTTL, regs...)
}

// objRepr is a Go take on Python's repr() of an object or class.
func objRepr(obj any) string {
	switch x := obj.(type) {
	case fmt.GoStringer:
		return x.GoString()
	case *dispatch.Class:
		typ := x.Type()
		if typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		return fmt.Sprintf("<class '%s'>", typ)
	case nil:
		return "None"
	}
	rv := reflect.ValueOf(obj)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		return fmt.Sprintf("<%s object at %#x>", rv.Type().Elem(), rv.Pointer())
	}
	return fmt.Sprintf("<%s object>", rv.Type())
}
