# Drives an echo server with the real Pyro5 client and prints what it sees,
# one "OBS name: value" line per observation, so that the Go test can run it
# against Pyro5's own echo server (Pyro5.utils.echoserver) and against gyro
# and require the same lines. A line "ERROR name: ..." means the script
# itself broke.
# Usage: pyro5_client.py URI SERIALIZER
import math
import sys
import time
import traceback
import uuid

import Pyro5.api
import Pyro5.errors
from Pyro5 import config

uri, ser = sys.argv[1], sys.argv[2]
config.SERIALIZER = ser
config.COMMTIMEOUT = 10.0
host_port = uri.split("@", 1)[1]
host, port = host_port.rsplit(":", 1)


def obs(name, value):
    print("OBS %s: %s" % (name, value), flush=True)


def exc_desc(e):
    # the address differs between the two servers; the rest must not
    text = str(e).replace(host_port, "ADDR").replace(repr((host, int(port))), "ADDR")
    return "%s.%s: %s" % (type(e).__module__, type(e).__name__, text)


def observe(name):
    def deco(fn):
        try:
            obs(name, fn())
        except Exception as e:  # an exception is an observation too
            obs(name, "raised " + exc_desc(e))
        return fn
    return deco


p = Pyro5.api.Proxy(uri)


@observe("metadata")
def _():
    p._pyroBind()
    # Pyro5's echo server has none of gyro's two extra methods (nan, inf
    # are in both); compare what both have
    return sorted(p._pyroMethods), sorted(p._pyroOneway), sorted(p._pyroAttrs)


values = [
    "hi", "", "quote ' and \" both", "unicode \u20ac \u200b \U0001f600 \x7f", 0, -1, 2**31, -2**63,
    2**100, -2**70, 1.5, -0.0, 1e22, 1e-7, True, False, None, [1, [2, 3]], (1, 2), (1,), (),
    {"a": 1, "b": [1, 2]}, {1: "int key", 2.5: "float"}, {(1, 2): "tuple key"}, {1, 2, 3}, set(),
    complex(1, 2), b"\x00\x01\xff", {"nested": [{"x": (1, 2)}]},
]

for i, v in enumerate(values):
    @observe("echo %d %r" % (i, v))
    def _():
        got = p.echo(v)
        return "%s %r" % (type(got).__name__, got)


def qualname(v):
    return type(v).__module__ + "." + type(v).__name__


# values that travel as Pyro5 class dicts, both ways
@observe("echo uri")
def _():
    u = p.echo(Pyro5.core.URI("PYRO:x@127.0.0.1:5555"))
    return qualname(u), str(u)


@observe("echo exception")
def _():
    e = p.echo(Pyro5.errors.NamingError("boom"))
    return qualname(e), str(e)


@observe("echo proxy")
def _():
    q = p.echo(Pyro5.api.Proxy("PYRO:x@127.0.0.1:5555"))
    return qualname(q), str(q._pyroUri)


@observe("nan inf")
def _():
    return math.isnan(p.nan()), p.inf()


@observe("error")
def _():
    try:
        p.error()
    except Exception as e:
        tb = "".join(Pyro5.errors.get_pyro_traceback())
        return exc_desc(e), "Remote traceback" in tb, type(e).__name__ in tb
    return "no exception"


@observe("error_with_text")
def _():
    p.error_with_text()


@observe("oneway")
def _():
    t = time.time()
    r1, r2 = p.oneway_echo("x"), p.oneway_slow()
    return r1, r2, time.time() - t < 2


@observe("dunder")
def _():
    return p.__dunder__()


for name in ("_private", "__private", "_EchoServer__private", "__init__", "__class__", "nope"):
    @observe("refused " + name)
    def _():
        p._pyroInvoke(name, (), {})


@observe("wrong argument count")
def _():
    p._pyroInvoke("echo", (1, 2), {})


@observe("kwargs")
def _():
    return p.echo(message=42)


@observe("attribute")
def _():
    before = p.verbose
    p.verbose = True
    after = p.verbose
    p.verbose = False
    return before, after


@observe("generator")
def _():
    it = p.generator()
    return type(it).__name__, list(it)


@observe("generator closed early")
def _():
    it = p.generator()
    first = next(it)
    it.close()
    return first, p.echo("still served")


@observe("batch")
def _():
    b = Pyro5.api.BatchProxy(p)
    b.echo(1)
    b.error_with_text()
    b.echo(2)
    out = []
    try:
        for r in b():
            out.append(r)
    except Exception as e:
        out.append(exc_desc(e))
    return out


@observe("correlation id")
def _():
    Pyro5.api.current_context.correlation_id = uuid.UUID("00112233-4455-6677-8899-aabbccddeeff")
    try:
        return p.echo("with id")
    finally:
        Pyro5.api.current_context.correlation_id = None


@observe("unknown object")
def _():
    with Pyro5.api.Proxy("PYRO:no.such.object@" + host_port) as q:
        q._pyroBind()


@observe("daemon object")
def _():
    with Pyro5.api.Proxy("PYRO:" + Pyro5.core.DAEMON_NAME + "@" + host_port) as d:
        d._pyroBind()
        meta = d.get_metadata("test.echoserver")
        return (sorted(d._pyroMethods), d.ping(), "test.echoserver" in d.registered(),
                sorted(meta["methods"]), sorted(meta["oneway"]), sorted(meta["attrs"]))


@observe("serializer on the wire")
def _():
    return p._pyroSerializer or config.SERIALIZER


@observe("new connection after release")
def _():
    p._pyroRelease()
    return p.echo("again")


@observe("compressed request")
def _():
    config.COMPRESSION = True
    try:
        with Pyro5.api.Proxy(uri) as q:
            return q.echo("z" * 1000) == "z" * 1000
    finally:
        config.COMPRESSION = False
