package naming

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/wire"
)

// Reserved object ids and metadata, as Pyro4's constants.
const (
	// NameServerName is the object id, and the name, of the name server.
	NameServerName = "Pyro.NameServer"
	// NameServerClassTag is the metadata the name server registers itself
	// with.
	NameServerClassTag = "class:Pyro4.naming.NameServer"
)

// daemonName is every daemon's own object; autoclean never probes it.
const daemonName = pyval.DaemonID

// MaxNameLen bounds a registered name, in bytes. Pyro4 has no limit; gyro
// refuses longer names so that a name always fits a store's key.
const MaxNameLen = 1024

// NameServer is the "Pyro.NameServer" object: a flat map from logical names
// to URIs with metadata tags, served to Pyro4 clients with the remote
// methods, semantics and error texts of Pyro4 4.82's NameServer.
//
// The remote methods take Python values (any) because that is what Pyro4's
// NameServer accepts; a call with a wrong type gets Pyro4's own TypeError.
// Go code normally calls them through a proxy (see LocateNS); they are
// safe to call directly too.
//
// Writes are serialized with a lock, and reads share it, so a safe
// register is atomic and a listing is consistent. A store shared by several
// processes (a Creator, such as etcdstore) makes its writes atomic itself,
// and a lock in one process could not exclude the others: the name server
// then takes no lock, so lookups never wait behind a write's round trips.
type NameServer struct {
	mu rwLocker
	st Storage
}

type rwLocker interface {
	Lock()
	Unlock()
	RLock()
	RUnlock()
}

// noLock is the lock of a name server on a shared store.
type noLock struct{}

func (noLock) Lock()    {}
func (noLock) Unlock()  {}
func (noLock) RLock()   {}
func (noLock) RUnlock() {}

// NewNameServer returns the name server object alone, over st (nil means
// a new MemoryStorage), for a program that serves it in a daemon of its
// own; StartNS makes a whole name server. The object does not register
// itself: StartNS does that, once it knows its URI.
func NewNameServer(st Storage) *NameServer {
	if st == nil {
		st = NewMemoryStorage()
	}
	if _, shared := st.(Creator); shared {
		return &NameServer{mu: noLock{}, st: st}
	}
	return &NameServer{mu: new(sync.RWMutex), st: st}
}

// Storage returns the name server's store.
func (ns *NameServer) Storage() Storage { return ns.st }

// PyroExpose makes the seven methods of Pyro4's NameServer remote, with
// their Python parameter names so Pyro4 clients can pass keywords
// (ns.list(prefix="x") arrives as kwargs), and Pyro5's yplookup for Pyro5
// clients only.
func (ns *NameServer) PyroExpose() dispatch.Exposure {
	return dispatch.Exposure{
		Only:     []string{"Register", "Lookup", "Remove", "List", "SetMetadata", "Ping", "Count", "Yplookup"},
		Protocol: map[string]int{"Yplookup": wire.Pyro5},
		Params: map[string][]string{
			"Register":    {"name", "uri", "safe=", "metadata="},
			"Lookup":      {"name", "return_metadata="},
			"Remove":      {"name=", "prefix=", "regex="},
			"List":        {"prefix=", "regex=", "metadata_all=", "metadata_any=", "return_metadata="},
			"SetMetadata": {"name", "metadata"},
			"Yplookup":    {"meta_all=", "meta_any=", "return_metadata="},
		},
		Hide: []string{"Storage"},
	}
}

// storageError reports a failed store operation as Pyro4's SQL storage
// does ("sqlite error in setitem: ..."): a NamingError, wrapping the cause.
func storageError(op string, err error) error {
	if _, ok := err.(*pyval.Exception); ok {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err // the call's own end, not the store's failure
	}
	return &classError{exc: namingExc(fmt.Sprintf("storage error in %s: %v", op, err)), cause: err}
}

// checkName validates a name for registration: Pyro4's TypeError for a
// non-str, and gyro's NamingError for an empty or over-long name.
func checkName(v any) (string, error) {
	name, ok := v.(string)
	if !ok {
		return "", typeError("name must be a str")
	}
	if name == "" {
		return "", namingError("invalid name: the name is empty")
	}
	if len(name) > MaxNameLen {
		return "", namingError(fmt.Sprintf("invalid name: %d bytes long, at most %d allowed", len(name), MaxNameLen))
	}
	return name, nil
}

// Register registers name for uri: Pyro4's register(name, uri, safe=False,
// metadata=None). uri is a URI or a str that parses as one (stored as given);
// metadata is None or an iterable of str tags. With safe, an existing name
// is NamingError("name already registered: <name>"); otherwise it is
// replaced.
func (ns *NameServer) Register(ctx context.Context, name, uri, safe, metadata any) error {
	us, err := uriString(uri)
	if err != nil {
		return err
	}
	n, err := checkName(name)
	if err != nil {
		return err
	}
	tags, _, err := tagSet(metadata, "metadata", true)
	if err != nil {
		return err
	}
	r := Registration{Name: n, URI: us, Metadata: tags}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if c, ok := ns.st.(Creator); ok && truthy(safe) {
		created, err := c.Create(ctx, r)
		if err != nil {
			return storageError("create", err)
		}
		if !created {
			return namingError("name already registered: " + n)
		}
		return nil
	}
	if truthy(safe) {
		_, exists, err := ns.st.Get(ctx, n)
		if err != nil {
			return storageError("get", err)
		}
		if exists {
			return namingError("name already registered: " + n)
		}
	}
	if err := ns.st.Set(ctx, r); err != nil {
		return storageError("set", err)
	}
	return nil
}

// lookupName checks a name argument the way Pyro4's dict lookup plus
// "unknown name: " + name would fail for a non-str.
func lookupName(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	if err := unhashable(v); err != nil {
		return "", err
	}
	return "", typeError(`can only concatenate str (not "` + pyType(v) + `") to str`)
}

// Lookup returns the URI registered for name, or with return_metadata the
// tuple (URI, [tags]) ({tags} for Pyro5 clients); an unknown name is
// NamingError("unknown name: ...").
func (ns *NameServer) Lookup(ctx context.Context, name, returnMetadata any) (any, error) {
	n, err := lookupName(name)
	if err != nil {
		return nil, err
	}
	ns.mu.RLock()
	r, ok, err := ns.st.Get(ctx, n)
	ns.mu.RUnlock()
	if err != nil {
		return nil, storageError("get", err)
	}
	if !ok {
		return nil, namingError("unknown name: " + n)
	}
	u, err := parseURI(r.URI)
	if err != nil {
		return nil, err
	}
	if truthy(returnMetadata) {
		return pyval.Tuple{u, metadataOut(ctx, r.Metadata)}, nil
	}
	return u, nil
}

// Remove removes registrations and returns how many: Pyro4's
// remove(name=None, prefix=None, regex=None). A name that is registered
// goes first; otherwise every name with the prefix, or otherwise every
// name the regex matches. The name server's own entry always stays.
func (ns *NameServer) Remove(ctx context.Context, name, prefix, regex any) (int, error) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if truthy(name) {
		if err := unhashable(name); err != nil {
			return 0, err
		}
		if n, ok := name.(string); ok && n != NameServerName {
			_, exists, err := ns.st.Get(ctx, n)
			if err != nil {
				return 0, storageError("get", err)
			}
			if exists {
				if _, err := ns.st.Delete(ctx, n); err != nil {
					return 0, storageError("delete", err)
				}
				return 1, nil
			}
		}
	}
	var (
		regs []Registration
		err  error
	)
	switch {
	case truthy(prefix):
		regs, err = ns.byPrefix(ctx, prefix)
	case truthy(regex):
		regs, err = ns.byRegex(ctx, regex)
	default:
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	names := make([]string, 0, len(regs))
	for _, r := range regs {
		if r.Name != NameServerName {
			names = append(names, r.Name)
		}
	}
	if len(names) == 0 {
		return 0, nil
	}
	if _, err := ns.st.Delete(ctx, names...); err != nil {
		return 0, storageError("delete", err)
	}
	return len(names), nil
}

// List returns the registrations as a dict name -> URI string, or with
// return_metadata name -> (URI string, [tags]): Pyro4's list(prefix=None,
// regex=None, metadata_all=None, metadata_any=None, return_metadata=False).
// At most one filter may be given (ValueError otherwise); an empty one
// means no filter. prefix is str.startswith, regex is re.match (anchored
// at the start only; see the package doc for the dialect), metadata_all
// needs every tag, metadata_any at least one. Pyro5 clients call Pyro5's
// list(prefix=None, regex=None, return_metadata=False) and get {tags}.
func (ns *NameServer) List(ctx context.Context, prefix, regex, metadataAll, metadataAny, returnMetadata any) (*pyval.Dict, error) {
	if isPyro5(ctx) {
		var err error
		if returnMetadata, err = list5Args(metadataAll, metadataAny, returnMetadata); err != nil {
			return nil, err
		}
		metadataAll, metadataAny = nil, nil
	}
	filters := 0
	for _, f := range []any{prefix, regex, metadataAll, metadataAny} {
		if f != nil {
			filters++
		}
	}
	if filters > 1 {
		return nil, pyval.NewException(pyval.ClassValueError, "you can only filter on one thing at a time")
	}
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	var (
		regs []Registration
		err  error
	)
	switch {
	case truthy(prefix):
		regs, err = ns.byPrefix(ctx, prefix)
	case truthy(regex):
		regs, err = ns.byRegex(ctx, regex)
	case truthy(metadataAll):
		regs, err = ns.byMetadata(ctx, metadataAll, "metadata_all", true)
	case truthy(metadataAny):
		regs, err = ns.byMetadata(ctx, metadataAny, "metadata_any", false)
	default:
		regs, err = ns.st.List(ctx, "")
		if err != nil {
			err = storageError("list", err)
		}
	}
	if err != nil {
		return nil, err
	}
	return registrationsDict(ctx, regs, truthy(returnMetadata)), nil
}

// registrationsDict is a listing as list and yplookup return it: name ->
// URI string, or name -> (URI string, tags) with metadata.
func registrationsDict(ctx context.Context, regs []Registration, withMeta bool) *pyval.Dict {
	d := pyval.NewDict(len(regs))
	for _, r := range regs {
		if withMeta {
			d.Append(r.Name, pyval.Tuple{r.URI, metadataOut(ctx, r.Metadata)})
		} else {
			d.Append(r.Name, r.URI)
		}
	}
	return d
}

// byPrefix lists by str.startswith, which also takes a tuple of str.
func (ns *NameServer) byPrefix(ctx context.Context, prefix any) ([]Registration, error) {
	switch p := prefix.(type) {
	case string:
		regs, err := ns.st.List(ctx, p)
		if err != nil {
			return nil, storageError("list", err)
		}
		return regs, nil
	case pyval.Tuple:
		ps := make([]string, len(p))
		for i, e := range p {
			s, ok := e.(string)
			if !ok {
				return nil, typeError("tuple for startswith must only contain str, not " + pyType(e))
			}
			ps[i] = s
		}
		return ns.filter(ctx, func(r Registration) bool {
			for _, s := range ps {
				if strings.HasPrefix(r.Name, s) {
					return true
				}
			}
			return false
		})
	}
	return nil, typeError("startswith first arg must be str or a tuple of str, not " + pyType(prefix))
}

// byRegex lists the names re.match(regex, name) accepts.
func (ns *NameServer) byRegex(ctx context.Context, regex any) ([]Registration, error) {
	var re *regexp.Regexp
	switch p := regex.(type) {
	case string:
		var err error
		if re, err = compileMatch(p); err != nil {
			return nil, err
		}
	case []byte:
		return nil, typeError("cannot use a bytes pattern on a string-like object")
	default:
		return nil, typeError("first argument must be string or compiled pattern")
	}
	return ns.filter(ctx, func(r Registration) bool { return re.MatchString(r.Name) })
}

// byMetadata lists the names having all (or any) of the tags in v.
func (ns *NameServer) byMetadata(ctx context.Context, v any, what string, all bool) ([]Registration, error) {
	want, other, err := tagSet(v, what, false)
	if err != nil {
		return nil, err
	}
	if all && other {
		return nil, nil // a non-str tag is on no registration
	}
	return ns.filter(ctx, func(r Registration) bool {
		n := 0
		for _, t := range want {
			if hasTag(r.Metadata, t) {
				n++
			}
		}
		if all {
			return n == len(want)
		}
		return n > 0
	})
}

func hasTag(tags []string, t string) bool {
	for _, s := range tags {
		if s == t {
			return true
		}
	}
	return false
}

func (ns *NameServer) filter(ctx context.Context, keep func(Registration) bool) ([]Registration, error) {
	var out []Registration
	err := ns.st.Iterate(ctx, func(r Registration) bool {
		if keep(r) {
			out = append(out, r)
		}
		return true
	})
	if err != nil {
		return nil, storageError("iterate", err)
	}
	return out, nil
}

// SetMetadata replaces the tags of a registered name; None or an empty
// iterable clears them. An unknown name is NamingError("unknown name: ...").
func (ns *NameServer) SetMetadata(ctx context.Context, name, metadata any) error {
	n, ok := name.(string)
	if !ok {
		return typeError("name must be a str")
	}
	tags, _, err := tagSet(metadata, "metadata", true)
	if err != nil {
		return err
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	found, err := ns.st.SetMetadata(ctx, n, tags)
	if err != nil {
		return storageError("set_metadata", err)
	}
	if !found {
		return namingError("unknown name: " + n)
	}
	return nil
}

// Ping does nothing: a reply proves the name server is up.
func (ns *NameServer) Ping() {}

// Count returns the number of registrations, the name server's own
// included.
func (ns *NameServer) Count(ctx context.Context) (int, error) {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	n, err := ns.st.Count(ctx)
	if err != nil {
		return 0, storageError("count", err)
	}
	return n, nil
}
