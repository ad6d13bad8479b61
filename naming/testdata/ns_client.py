# Calls every remote method of a name server with the real Pyro4 client and
# prints one normalized line per call: "<label>: <result>" or
# "<label>: EXC <module>.<Class>: <args>". The Go test runs it against
# Pyro4's own name server and against gyro's and compares the outputs.
# Lines whose label starts with "dev." are gyro's documented deviations:
# the test checks those separately.
# Usage: ns_client.py NS_URI SERIALIZER
import sys

import Pyro4
import Pyro4.core
import Pyro4.errors

ns_uri, ser = sys.argv[1], sys.argv[2]
Pyro4.config.SERIALIZER = ser
Pyro4.config.COMMTIMEOUT = 10.0
ns_loc = ns_uri.split("@", 1)[1]


def norm(v):
    """A stable text for a result: URIs and the NS location made neutral,
    sets and tag lists sorted, dicts by key."""
    if isinstance(v, Pyro4.core.URI):
        return "URI(%s)" % norm(str(v))
    if isinstance(v, str):
        return repr(v.replace(ns_loc, "<NS>"))
    if isinstance(v, dict):
        return "{" + ", ".join("%s: %s" % (norm(k), norm(v[k])) for k in sorted(v, key=repr)) + "}"
    if isinstance(v, (set, frozenset)):
        return "set(" + ", ".join(sorted(norm(x) for x in v)) + ")"
    if isinstance(v, list):
        items = [norm(x) for x in v]
        if all(isinstance(x, str) for x in v):
            items.sort()  # tag lists: Pyro4's come in set order
        return "[" + ", ".join(items) + "]"
    if isinstance(v, tuple):
        return "(" + ", ".join(norm(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    return repr(v)


ns = Pyro4.Proxy(ns_uri)


def call(label, fn):
    try:
        r = fn()
        print("%s: %s" % (label, norm(r)), flush=True)
    except Exception as e:
        args = e.args
        if args and isinstance(args[0], str) and args[0].startswith("invalid regex: "):
            args = ("invalid regex: <message>",)  # Python's and RE2's texts differ
        print("%s: EXC %s.%s: %s" % (label, type(e).__module__, type(e).__name__, norm(args)), flush=True)


call("bind", lambda: ns._pyroBind() and None)
call("meta.methods", lambda: ns._pyroMethods)
call("meta.oneway", lambda: ns._pyroOneway)
call("meta.attrs", lambda: ns._pyroAttrs)
call("daemon.registered", lambda: Pyro4.Proxy("PYRO:Pyro.Daemon@" + ns_loc).registered())
call("ping", lambda: ns.ping())
call("count.start", lambda: ns.count())
call("lookup.self", lambda: ns.lookup("Pyro.NameServer"))
call("lookup.self.meta", lambda: ns.lookup("Pyro.NameServer", return_metadata=True))
call("list.start", lambda: ns.list())

# register
call("register.plain", lambda: ns.register("a.one", "PYRO:o1@localhost:5001"))
call("register.meta.set", lambda: ns.register("a.two", "PYRO:o2@localhost:5002", metadata={"m1", "m2"}))
call("register.meta.list", lambda: ns.register("b.three", "PYRO:o3@localhost:5003", False, ["m2", "m3", "m2"]))
call("register.meta.tuple", lambda: ns.register("b.four", "PYRO:o4@localhost:5004", metadata=("m3",)))
call("register.meta.dict", lambda: ns.register("b.five", "PYRO:o5@localhost:5005", metadata={"k1": 1, "k2": 2}))
call("register.meta.falsy0", lambda: ns.register("c.zero", "PYRO:z@localhost:5006", metadata=0))
call("register.meta.emptylist", lambda: ns.register("c.empty", "PYRO:e@localhost:5007", metadata=[]))
call("register.kwargs", lambda: ns.register(name="c.kw", uri="PYRO:kw@localhost:5008"))
call("register.safe.new", lambda: ns.register("c.safe", "PYRO:s@localhost:5009", safe=True))
call("register.safe.dup", lambda: ns.register("c.safe", "PYRO:s2@localhost:5009", safe=True))
call("register.safe.truthy", lambda: ns.register("c.safe", "PYRO:s3@localhost:5009", safe=1))
call("register.overwrite", lambda: ns.register("c.safe", "PYRO:s4@localhost:5009"))
call("register.lowercase", lambda: ns.register("c.lower", "pyro:low@localhost:5010"))
call("register.pyroname", lambda: ns.register("c.pn", "PYRONAME:other.name"))
call("register.pyroname.loc", lambda: ns.register("c.pnloc", "PYRONAME:other.name@localhost"))
call("register.pyrometa", lambda: ns.register("c.pm", "PYROMETA:x, y@localhost:9999"))
call("register.unix", lambda: ns.register("c.unix", "PYRO:u@./u:/tmp/sock"))
call("register.ipv6", lambda: ns.register("c.v6", "PYRO:v6@[::1]:5011"))
call("register.uriobj", lambda: ns.register("c.uriobj", Pyro4.core.URI("PYRO:uo@localhost:5012")))
call("register.newline", lambda: ns.register("c.nl", "PYRO:nl@localhost:5013\n"))
call("register.protoext", lambda: ns.register("c.proto", "PYROX:p@localhost:1"))
for i, bad in enumerate(["junk", "PYRO:a@b", "PYRO:a b@h:1", "FOO:x@h:1", "PYRO:x@./u:", "PYRO:x@./u:a:b",
                         "PYRO:x@[[::1]]:1", "PYRO:x@[zz]:1", "PYRO:x@h:abc", "PYRO:x@h:1:2", "PYRO:@h:1",
                         "PYRO:x", "PYRO:x@", "pyro2:x@h:1", ""]):
    call("register.baduri.%d" % i, lambda: ns.register("bad", bad))
call("register.name.int", lambda: ns.register(1, "PYRO:a@b:1"))
call("register.uri.int", lambda: ns.register("x", 5))
call("register.both.bad", lambda: ns.register(1, 5))
call("register.meta.str", lambda: ns.register("y", "PYRO:a@b:1", metadata="abc"))
call("register.meta.int", lambda: ns.register("z", "PYRO:a@b:1", metadata=5))
call("register.meta.unhashable", lambda: ns.register("z", "PYRO:a@b:1", metadata=[[1]]))
call("count.after", lambda: ns.count())

# lookup
call("lookup.plain", lambda: ns.lookup("a.one"))
call("lookup.meta", lambda: ns.lookup("a.two", return_metadata=True))
call("lookup.meta.none", lambda: ns.lookup("a.one", True))
call("lookup.kwargs", lambda: ns.lookup(name="b.three", return_metadata=1))
call("lookup.lower", lambda: ns.lookup("c.lower"))
call("lookup.pyroname", lambda: ns.lookup("c.pnloc"))
call("lookup.unix", lambda: ns.lookup("c.unix"))
call("lookup.ipv6", lambda: ns.lookup("c.v6"))
call("lookup.newline", lambda: ns.lookup("c.nl"))
call("lookup.unknown", lambda: ns.lookup("nope"))
call("lookup.empty", lambda: ns.lookup(""))
call("lookup.int", lambda: ns.lookup(5))
call("lookup.list", lambda: ns.lookup([1]))

# list
call("list.all", lambda: ns.list())
call("list.all.meta", lambda: ns.list(return_metadata=True))
call("list.prefix", lambda: ns.list(prefix="a."))
call("list.prefix.meta", lambda: ns.list(prefix="a.", return_metadata=True))
call("list.prefix.none", lambda: ns.list(prefix="zzz"))
call("list.prefix.tuple", lambda: ns.list(prefix=("a.", "b.t")))
call("list.prefix.int", lambda: ns.list(prefix=5))
call("list.prefix.empty", lambda: ns.list(prefix=""))
call("list.positional", lambda: ns.list("b."))
for i, rx in enumerate(["a", "a\\.", ".*o", "c\\.(safe|kw)", "[ab]\\.t", "A", "(?i)A\\.ONE", ".*one$", "\\w+\\.\\w+\\Z",
                        "c\\.p[nm]", "x{,2}c", "[]a]\\.", "(?:b)\\.", "(?P<g>c)\\.", "(?#comment)a", "(?s)a.",
                        "b\\.t.{1,3}e", "[^a-b]\\.", "\\u0061\\.", "a|c\\.k"]):
    call("list.regex.%d" % i, lambda: ns.list(regex=rx))
call("list.regex.meta", lambda: ns.list(regex="a", return_metadata=True))
for i, rx in enumerate(["[", "(", "a)", "*", "a{2,1}", "\\", "a)|(b"]):
    call("list.regex.bad.%d" % i, lambda: ns.list(regex=rx).keys() and "matched")
call("list.regex.int", lambda: ns.list(regex=5))
call("list.meta_all", lambda: ns.list(metadata_all={"m2"}))
call("list.meta_all.two", lambda: ns.list(metadata_all=["m2", "m3"]))
call("list.meta_all.meta", lambda: ns.list(metadata_all={"m2"}, return_metadata=True))
call("list.meta_all.none", lambda: ns.list(metadata_all={"m9"}))
call("list.meta_all.str", lambda: ns.list(metadata_all="m2"))
call("list.meta_all.int", lambda: ns.list(metadata_all=5))
call("list.meta_all.empty", lambda: ns.list(metadata_all=set()))
call("list.meta_any", lambda: ns.list(metadata_any={"m1", "m3"}))
call("list.meta_any.meta", lambda: ns.list(metadata_any=("m1",), return_metadata=True))
call("list.meta_any.str", lambda: ns.list(metadata_any="m1"))
call("list.meta_any.int", lambda: ns.list(metadata_any=5))
call("list.meta_all.self", lambda: ns.list(metadata_all=["class:Pyro4.naming.NameServer"]))
call("list.two_filters", lambda: ns.list(prefix="a", regex="b"))
call("list.two_filters.empty", lambda: ns.list(prefix="", regex=""))
call("list.two_filters.meta", lambda: ns.list(metadata_all={"a"}, metadata_any={"b"}))

# set_metadata
call("setmeta.set", lambda: ns.set_metadata("a.one", {"n1", "n2"}))
call("setmeta.check", lambda: ns.lookup("a.one", return_metadata=True))
call("setmeta.list", lambda: ns.set_metadata("a.one", ["n3"]))
call("setmeta.check2", lambda: ns.lookup("a.one", return_metadata=True))
call("setmeta.clear.none", lambda: ns.set_metadata("a.one", None))
call("setmeta.check3", lambda: ns.lookup("a.one", return_metadata=True))
call("setmeta.clear.empty", lambda: ns.set_metadata("a.two", set()))
call("setmeta.check4", lambda: ns.lookup("a.two", return_metadata=True))
call("setmeta.unknown", lambda: ns.set_metadata("nope", {"x"}))
call("setmeta.unknown.none", lambda: ns.set_metadata("nope", None))
call("setmeta.name.int", lambda: ns.set_metadata(5, None))
call("setmeta.str", lambda: ns.set_metadata("a.one", "abc"))
call("setmeta.int", lambda: ns.set_metadata("a.one", 5))
call("setmeta.kwargs", lambda: ns.set_metadata(name="a.one", metadata=["k"]))
call("setmeta.self", lambda: ns.set_metadata("Pyro.NameServer", ["class:Pyro4.naming.NameServer", "extra"]))
call("setmeta.self.check", lambda: ns.lookup("Pyro.NameServer", return_metadata=True))

# remove
call("remove.name", lambda: ns.remove("a.one"))
call("remove.name.again", lambda: ns.remove("a.one"))
call("remove.self", lambda: ns.remove("Pyro.NameServer"))
call("remove.nothing", lambda: ns.remove())
call("remove.int", lambda: ns.remove(5))
call("remove.list", lambda: ns.remove([1]))
call("remove.prefix", lambda: ns.remove(prefix="b."))
call("remove.prefix.self", lambda: ns.remove(prefix="Pyro"))
call("remove.name.missing.prefix", lambda: ns.remove("nope", prefix="c.s"))
call("remove.regex", lambda: ns.remove(regex="c\\.p"))
call("remove.regex.bad", lambda: ns.remove(regex="["))
call("remove.prefix.int", lambda: ns.remove(prefix=5))
call("list.end", lambda: ns.list())
call("remove.regex.all", lambda: ns.remove(regex=".*"))
call("count.end", lambda: ns.count())
call("list.final", lambda: ns.list(return_metadata=True))

# unknown method and bad call shapes
call("call.unknown", lambda: ns.nosuch())
call("call.toomany", lambda: ns.ping(1))
call("call.badkw", lambda: ns.list(nosuch=1))

# gyro's deliberate deviations (checked separately by the Go test)
call("dev.register.empty", lambda: ns.register("", "PYRO:a@b:1"))
call("dev.register.long", lambda: ns.register("n" * 2000, "PYRO:a@b:1"))
call("dev.register.meta.int", lambda: ns.register("d.intmeta", "PYRO:a@b:1", metadata=[1, 2]))
call("dev.list.regex.lookahead", lambda: ns.list(regex="a(?=b)"))
call("dev.list.regex.backref", lambda: ns.list(regex="(a)\\1"))
ns._pyroRelease()
