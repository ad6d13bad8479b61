package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/pyval"
)

// DaemonObject is the daemon's own remote object, "Pyro.Daemon", with the
// methods of Pyro4's DaemonObject. To extend it, as Pyro4 programs
// subclass DaemonObject, embed *DaemonObject in a type, set
// Options.DaemonObject to a function that wraps the standard object, and
// extend the Exposure:
//
//	type myDaemon struct{ *engine.DaemonObject }
//
//	func (m *myDaemon) Uptime() float64 { ... }
//
//	func (m *myDaemon) PyroExpose() dispatch.Exposure {
//		e := m.DaemonObject.PyroExpose()
//		e.Only = append(e.Only, "Uptime")
//		return e
//	}
//
//	engine.New(engine.Options{DaemonObject: func(std *engine.DaemonObject) any {
//		return &myDaemon{std}
//	}})
//
// The embedded methods stay remote in both exposure modes, because
// PyroExpose lists them in Only and in Promote.
type DaemonObject struct {
	d *Daemon
}

// daemonMethods are the remote methods of Pyro4's DaemonObject.
var daemonMethods = []string{"Registered", "Ping", "Info", "GetMetadata", "GetNextStreamItem", "CloseStream"}

// PyroExpose exposes Pyro4's DaemonObject methods, also when promoted into
// a type that embeds *DaemonObject, and names the parameters so Pyro4
// clients may pass them by keyword.
func (o *DaemonObject) PyroExpose() dispatch.Exposure {
	return dispatch.Exposure{
		Only:    slices.Clone(daemonMethods),
		Promote: slices.Clone(daemonMethods),
		Params: map[string][]string{
			"GetMetadata":       {"objectId", "as_lists="},
			"GetNextStreamItem": {"streamId"},
			"CloseStream":       {"streamId"},
		},
	}
}

// Registered returns the registered object ids in registration order.
func (o *DaemonObject) Registered() []string { return o.d.reg.Registered() }

// Ping does nothing; a reply proves the daemon is alive.
func (o *DaemonObject) Ping() {}

// Info describes the daemon.
func (o *DaemonObject) Info() string {
	nat := "None"
	if o.d.natHost != "" {
		nat = o.d.location(true)
	}
	return fmt.Sprintf("Pyro.Daemon bound on %s, NAT %s, %d objects registered. Servertype: <gyro %s server on %s; %d workers>",
		o.d.LocationStr(), nat, len(o.d.reg.Registered()), o.d.cfg.ServerType, o.d.addr, o.d.cfg.ThreadPoolSize)
}

// GetMetadata returns an object's methods, oneway methods and attributes,
// as sets (Pyro4's default) or lists, as the caller's protocol generation
// sees them (dispatch.Exposure.Protocol). Pyro5 calls it without as_lists.
func (o *DaemonObject) GetMetadata(ctx context.Context, objectID string, asLists bool) (*pyval.Dict, error) {
	protocol := 0
	if cc, ok := dispatch.FromContext(ctx); ok {
		protocol = cc.Protocol
	}
	md, err := o.d.reg.MetadataFor(objectID, protocol)
	if err != nil {
		return nil, err
	}
	conv := func(s []string) any {
		l := strList(s)
		if asLists {
			return l
		}
		return pyval.Set(l)
	}
	return pyval.DictOf("methods", conv(md.Methods), "oneway", conv(md.Oneway), "attrs", conv(md.Attrs)), nil
}

// GetNextStreamItem returns the next item of an item stream.
func (o *DaemonObject) GetNextStreamItem(ctx context.Context, streamID string) (any, error) {
	var conn *dispatch.Conn
	if cc, ok := dispatch.FromContext(ctx); ok {
		conn = cc.Conn
	}
	return o.d.reg.NextStreamItem(conn, streamID)
}

// CloseStream discards an item stream; unknown ids are ignored.
func (o *DaemonObject) CloseStream(streamID string) { o.d.reg.CloseStream(streamID) }
