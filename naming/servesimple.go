package naming

import (
	"context"
	"fmt"
	"io"
	"os"
	"reflect"

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
	if err := publish(ctx, d, objects, opts, out); err != nil {
		return err
	}
	if opts.Verbose {
		fmt.Fprintln(out, "Pyro daemon running.")
	}
	return d.Serve(ctx)
}

// publish registers the objects in the daemon and, with opts.NS, in the
// name server, which it releases before the loop starts.
func publish(ctx context.Context, d *engine.Daemon, objects []Object, opts ServeSimpleOptions, out io.Writer) error {
	var ns *proxy.Proxy
	if opts.NS {
		var err error
		if ns, err = LocateNS(ctx, LocateOptions{Config: opts.Config, HMACKey: opts.HMACKey}); err != nil {
			return err
		}
		defer ns.Close()
	}
	for _, o := range objects {
		local := o.Name
		if ns != nil {
			local = "" // the name is for the name server
		}
		uri, err := d.Register(o.Obj, local, false)
		if err != nil {
			return err
		}
		if opts.Verbose {
			fmt.Fprintf(out, "Object %s:\n    uri = %s\n", objRepr(o.Obj), uri)
		}
		if o.Name != "" && ns != nil {
			if _, err := ns.Call(ctx, "register", o.Name, uri); err != nil {
				return err
			}
			if opts.Verbose {
				fmt.Fprintf(out, "    name = %s\n", o.Name)
			}
		}
	}
	return nil
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
