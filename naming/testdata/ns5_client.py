# Drives a name server with the real Pyro5 client, printing "label: result"
# lines, so the Go test can run it against Pyro5's own name server and
# against gyro's and require the same lines. The name server's own entry is
# left out of listings (its URI differs between the two).
# Usage: ns5_client.py NS_URI SERIALIZER
import sys

import Pyro5.api
import Pyro5.errors
from Pyro5 import config

ns_uri, ser = sys.argv[1], sys.argv[2]
config.SERIALIZER = ser
config.COMMTIMEOUT = 10.0
ns = Pyro5.api.Proxy(ns_uri)


def norm(v):
    """a printable, order-independent form of a result"""
    if isinstance(v, dict):
        return "{" + ", ".join("%r: %s" % (k, norm(x)) for k, x in sorted(v.items()) if k != "Pyro.NameServer") + "}"
    if isinstance(v, (set, frozenset)):
        return "set" + repr(sorted(v))
    if isinstance(v, list) and v and all(isinstance(x, str) for x in v):
        v = sorted(v)  # a set, as json and msgpack send it: hash order
    if isinstance(v, (tuple, list)):
        return type(v).__name__ + "(" + ", ".join(norm(x) for x in v) + ")"
    if isinstance(v, Pyro5.api.URI):
        return "URI(%s)" % v
    return repr(v)


def call(label, fn):
    try:
        res = norm(fn())
    except Exception as e:
        res = "EXC %s.%s: %s" % (type(e).__module__, type(e).__name__, e)
    print("%s: %s" % (label, res), flush=True)


U1, U2 = "PYRO:obj@127.0.0.1:5555", "PYRO:other@127.0.0.1:6666"
call("meta.methods", lambda: (ns._pyroBind(), ns._pyroMethods)[1])
call("ping", lambda: ns.ping())
call("count.empty", lambda: ns.count())
call("register.a.b", lambda: ns.register("a.b", U1, metadata={"m1", "m2"}))
call("register.a.c", lambda: ns.register("a.c", Pyro5.api.URI(U2)))
call("register.o.x", lambda: ns.register("o.x", U2, metadata=["m2", "m3"]))
call("register.safe.taken", lambda: ns.register("a.b", U2, safe=True))
call("register.meta.str", lambda: ns.register("z", U1, metadata="m1"))
call("register.uri.bad", lambda: ns.register("z", "nonsense"))
call("count", lambda: ns.count())
call("lookup", lambda: ns.lookup("a.b"))
call("lookup.meta", lambda: ns.lookup("a.b", return_metadata=True))
call("lookup.meta.none", lambda: ns.lookup("a.c", True))
call("lookup.unknown", lambda: ns.lookup("nope"))
call("list", lambda: ns.list())
call("list.prefix", lambda: ns.list(prefix="a."))
call("list.regex.meta", lambda: ns.list(regex=r"a\..", return_metadata=True))
call("list.positional.meta", lambda: ns.list("o.", None, True))
call("list.both", lambda: ns.list(prefix="a", regex="a"))
call("yplookup.all", lambda: ns.yplookup(meta_all={"m2"}))
call("yplookup.all.two", lambda: ns.yplookup(meta_all=["m1", "m2"]))
call("yplookup.any.nometa", lambda: ns.yplookup(meta_any=["m3", "zz"], return_metadata=False))
call("yplookup.none", lambda: ns.yplookup())
call("yplookup.both", lambda: ns.yplookup(meta_all=["m1"], meta_any=["m2"]))
call("yplookup.str", lambda: ns.yplookup(meta_all="m1"))
call("set_metadata", lambda: ns.set_metadata("a.c", ["n1"]))
call("set_metadata.lookup", lambda: ns.lookup("a.c", return_metadata=True))
call("set_metadata.unknown", lambda: ns.set_metadata("nope", ["n1"]))
call("remove.name", lambda: ns.remove("a.b"))
call("remove.self", lambda: ns.remove("Pyro.NameServer"))
call("remove.prefix", lambda: ns.remove(prefix="a."))
call("remove.regex", lambda: ns.remove(regex="o.*"))
call("count.end", lambda: ns.count())
call("list.end", lambda: ns.list())
