# Drives a gyro daemon serving the echo object with the real Pyro4 client.
# Usage: pyro4_client.py URI SERIALIZER
# Prints one line per check: "PASS name" or "FAIL name: reason"; the Go test
# turns each into a subtest.
import math
import sys
import time
import traceback

import Pyro4
import Pyro4.errors
import Pyro4.util

uri, ser = sys.argv[1], sys.argv[2]
Pyro4.config.SERIALIZER = ser
Pyro4.config.COMMTIMEOUT = 10.0


def check(name):
    def deco(fn):
        try:
            fn()
            print("PASS", name, flush=True)
        except Exception as e:  # report, don't stop: every check runs
            print("FAIL %s: %s: %s | %s" % (name, type(e).__name__, e,
                  traceback.format_exc().replace("\n", " | ")), flush=True)
        return fn
    return deco


p = Pyro4.Proxy(uri)


@check("metadata")
def _():
    p._pyroBind()
    want = {"echo", "error", "error_with_text", "oneway_echo", "slow", "generator", "nan", "inf",
            "oneway_slow", "__dunder__", "shutdown"}
    assert p._pyroMethods == want, p._pyroMethods
    assert p._pyroOneway == {"oneway_echo", "oneway_slow"}, p._pyroOneway
    assert p._pyroAttrs == {"verbose"}, p._pyroAttrs


values = [
    "hi", "", "quote ' and \" both", "unicode \u20ac \u200b \U0001f600 \x7f", 0, -1, 2**31, -2**63,
    2**100, -2**70, 1.5, -0.0, 1e22, 1e-7, True, False, None, [1, [2, 3]], (1, 2), (1,), (),
    {"a": 1, "b": [1, 2]}, {1: "int key", 2.5: "float"}, {(1, 2): "tuple key"}, {1, 2, 3},
    complex(1, 2), b"\x00\x01\xff",
]


@check("echo values")
def _():
    for v in values:
        if ser == "json":
            if isinstance(v, (bytes, complex)) or (isinstance(v, dict) and any(isinstance(k, tuple) for k in v)):
                continue
        if ser == "marshal" and isinstance(v, dict) and any(isinstance(k, tuple) for k in v):
            pass
        got = p.echo(v)
        want = v
        if ser == "json":
            # json has no tuple or set, and dict keys become str
            if isinstance(v, (tuple, set)):
                want = list(v)
            if isinstance(v, dict):
                want = {(k if isinstance(k, str) else str(k)): (list(x) if isinstance(x, tuple) else x) for k, x in v.items()}
        if ser == "serpent":
            if isinstance(v, bytes):
                want = {"data": __import__("base64").b64encode(v).decode(), "encoding": "base64"}
            if isinstance(v, set) and not v:
                want = ()
        if ser == "json" and isinstance(v, list):
            want = [list(x) if isinstance(x, tuple) else x for x in v]
        assert got == want and type(got) == type(want), (v, got, want)


@check("nan inf")
def _():
    assert math.isnan(p.nan())
    assert p.inf() == float("inf")


@check("error")
def _():
    try:
        p.error()
    except ValueError as e:
        assert str(e) == "expected error from echoserver error() method", str(e)
        tb = "".join(Pyro4.util.getPyroTraceback())
        assert "Remote traceback" in tb and "ValueError" in tb, tb
    else:
        raise AssertionError("no exception")


@check("error_with_text")
def _():
    try:
        p.error_with_text()
    except ValueError as e:
        assert str(e) == "the message of the error"
    else:
        raise AssertionError("no exception")


@check("oneway")
def _():
    t = time.time()
    assert p.oneway_echo("x") is None
    assert p.oneway_slow() is None
    assert time.time() - t < 2, "oneway waited for the call"


@check("dunder")
def _():
    assert p.__dunder__() == "should be allowed (dunder)"


@check("private names refused by the server")
def _():
    for name in ("_private", "__private", "_EchoServer__private", "__init__", "__class__"):
        try:
            p._pyroInvoke(name, (), {})
        except AttributeError as e:
            assert "private" in str(e) or "unexposed" in str(e) or "no exposed" in str(e), str(e)
        else:
            raise AssertionError("private name %s callable" % name)


@check("unknown method")
def _():
    try:
        p._pyroInvoke("nope", (), {})
    except AttributeError:
        pass
    else:
        raise AssertionError("unknown method callable")


@check("wrong argument count")
def _():
    try:
        p._pyroInvoke("echo", (1, 2), {})
    except TypeError:
        pass
    else:
        raise AssertionError("no TypeError")


@check("kwargs")
def _():
    assert p.echo(message="kw") == "kw"


if ser != "marshal":  # Pyro4's marshal client cannot send None kwargs
    @check("None kwargs")
    def _():
        # Pyro4's own daemon: method(*vargs, **None) is a TypeError
        try:
            p._pyroInvoke("echo", ("x",), None)
        except TypeError as e:
            assert "argument after ** must be a mapping, not NoneType" in str(e), e
        else:
            raise AssertionError("no TypeError")

    @check("attributes")
    def _():
        assert p.verbose is False
        p.verbose = True
        assert p.verbose is True
        p.verbose = 0
        assert p.verbose is False
        try:
            p._pyroInvoke("__getattr__", ("nonexisting",), None)
        except AttributeError:
            pass
        else:
            raise AssertionError("unknown attribute readable")

    @check("batch")
    def _():
        b = Pyro4.batch(p)
        b.echo(1)
        b.echo("two")
        b.error()
        b.echo(4)
        results = b()
        assert next(results) == 1
        assert next(results) == "two"
        try:
            next(results)
        except ValueError:
            pass
        else:
            raise AssertionError("batch error not raised")


@check("stream")
def _():
    assert list(p.generator()) == ["one", "two", "three"]
    g = p.generator()
    assert next(g) == "one"
    g.close()


@check("daemon object")
def _():
    loc = uri.split("@", 1)[1]
    with Pyro4.Proxy("PYRO:" + Pyro4.constants.DAEMON_NAME + "@" + loc) as d:
        assert d.registered() == ["Pyro.Daemon", "test.echoserver"], d.registered()
        assert d.ping() is None
        assert "Pyro.Daemon" in d.info()
        md = d.get_metadata("test.echoserver")
        assert set(md["methods"]) >= {"echo", "generator"}, md
        try:
            d.get_metadata("nope")
        except Pyro4.errors.DaemonError:
            pass
        else:
            raise AssertionError("unknown object has metadata")


@check("unknown object")
def _():
    try:
        Pyro4.Proxy(uri.replace("test.echoserver", "no.such.object"))._pyroBind()
    except Pyro4.errors.CommunicationError as e:
        assert "unknown object" in str(e), str(e)
    else:
        raise AssertionError("bound to an unknown object")


@check("correlation id")
def _():
    import uuid
    Pyro4.current_context.correlation_id = uuid.uuid4()
    assert p.echo("corr") == "corr"
    Pyro4.current_context.correlation_id = None


p._pyroRelease()
