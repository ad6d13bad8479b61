#!/usr/bin/python3
"""Regenerate the serpent golden files with the real Pyro4 4.82 + serpent 1.41.

Run from this directory with the system python (where Pyro4 is installed):

    /usr/bin/python3 gen.py

It writes:
  <name>.serpent   serpent.dumps(value, module_in_classname=True), exactly as
                   Pyro4's SerpentSerializer.dumps writes it, for each row of
                   VALUES; and SerpentSerializer.dumpsCall for the call_* rows.
  proxy_*.serpent  INVOKE payloads captured from a real Pyro4 proxy talking to
                   a real Pyro4 daemon on 127.0.0.1 (attribute access, batch,
                   metadata and stream calls as the proxy itself makes them).
  floats.txt       "<float64 bits in hex> <repr(float)>" lines.
  printable.txt    the code point ranges str.isprintable() refuses, and the
                   ranges this Python's Unicode database leaves unassigned.

The Go tests (serpent_test.go) hold the matching Go values by file name.
"""

import math
import os
import random
import struct
import sys
import threading
import unicodedata
import uuid

import serpent
import Pyro4
import Pyro4.core
import Pyro4.errors
import Pyro4.futures
from Pyro4.util import SerpentSerializer

assert serpent.__version__ == "1.41", serpent.__version__
assert Pyro4.__version__ == "4.82", Pyro4.__version__

ser = SerpentSerializer()


def exc_with_attr():
    e = ValueError("bad", 3)
    e.extra = "attr"
    return e


def proxy():
    p = Pyro4.core.Proxy("PYRO:thing@127.0.0.1:43079")
    p._pyroOneway = {"ow"}
    p._pyroMethods = {"ow"}
    p._pyroAttrs = {"val"}
    return p


VALUES = [
    ("none", None),
    ("true", True),
    ("false", False),
    ("int_0", 0),
    ("int_neg", -42),
    ("int_max64", 2**63 - 1),
    ("int_min64", -2**63),
    ("int_2p63", 2**63),
    ("int_2p70", 2**70),
    ("int_neg_2p100", -2**100),
    ("float_3_5", 3.5),
    ("float_neg0", -0.0),
    ("float_1", 1.0),
    ("float_1e22", 1e22),
    ("float_1e-07", 1e-07),
    ("float_0_1", 0.1),
    ("float_1e16", 1e16),
    ("float_1e15", 1e15),
    ("float_1e-4", 0.0001),
    ("float_1_5e-5", 1.5e-05),
    ("float_max", sys.float_info.max),
    ("float_tiny", 5e-324),
    ("float_pi", math.pi),
    ("float_neg_small", -2.5e-10),
    ("float_inf", math.inf),
    ("float_neginf", -math.inf),
    ("float_nan", math.nan),
    ("complex_1_2", 1 + 2j),
    ("complex_1_5_m2", complex(1.5, -2)),
    ("complex_2j", 2j),
    ("complex_neg_real", complex(-1, 0.5)),
    ("complex_inf", complex(math.inf, 1)),
    ("str_empty", ""),
    ("str_ascii", "hello world"),
    ("str_single_quote", "it's"),
    ("str_double_quote", 'say "hi"'),
    ("str_both_quotes", "it's \"x\""),
    ("str_backslash", "a\\b"),
    ("str_whitespace", "a\nb\rc\td"),
    ("str_controls", "\x00\x01\x1f\x7f"),
    ("str_latin1", "caf\xe9 \xa0 \xad"),
    ("str_zwsp", "a\u200bb"),
    ("str_line_sep", "\u2028\u2029"),
    ("str_bom", "\ufeff"),
    ("str_emoji", "\U0001F600"),
    ("str_cjk", "\u65e5\u672c\u8a9e"),
    ("str_combining", "e\u0301"),
    ("str_private", "\ue000"),
    ("str_tag", "\U000e0001"),
    ("str_noncharacter", "\U0010ffff"),
    ("str_mixed", "\u00e9\u200b'\"\\\n\x07\U0001F600"),
    ("bytes_data", b"\x00\x01\xff"),
    ("bytes_empty", b""),
    ("tuple_empty", ()),
    ("tuple_one", (1,)),
    ("tuple_two", (1, "a")),
    ("tuple_nested", ((1, 2), (3, (4,)))),
    ("list_empty", []),
    ("list_nested", [1, [2, [3]]]),
    ("list_mixed", [None, True, 1.5, "x", (1,), {}]),
    ("dict_empty", {}),
    ("dict_str", {"a": 1, "b": [1, 2]}),
    ("dict_int_key", {1: "a"}),
    ("dict_tuple_key", {(1, 2): "t"}),
    ("dict_mixed_keys", {(1, "a"): 2, 3: 4, 1.5: 1, True: 0, 1 + 2j: 0}),
    ("dict_bytes_key", {b"x": 1}),
    ("dict_nested", {"a": {"b": {"c": [1, {"d": None}]}}}),
    ("set_one", {1}),
    ("set_ints", {3, 1, 2}),
    ("set_empty", set()),
    ("frozenset_str", frozenset({"a"})),
    ("set_tuple", {(1, 2)}),
    ("uri_pyro", Pyro4.core.URI("PYRO:obj@localhost:9999")),
    ("uri_sock", Pyro4.core.URI("PYRO:obj@./u:app.sock")),
    ("uri_name", Pyro4.core.URI("PYRONAME:foo")),
    ("uri_ipv6", Pyro4.core.URI("PYRO:obj@[::1]:9999")),
    ("proxy", proxy()),
    ("exc_value", exc_with_attr()),
    ("exc_naming", Pyro4.errors.NamingError("x")),
    ("exc_stopiteration", StopIteration()),
    ("exc_wrapper", Pyro4.futures._ExceptionWrapper(exc_with_attr())),
    ("nested_deep", [[[[[[[[[[[[[[[[[[[[("deep",)]]]]]]]]]]]]]]]]]]]]),
]

CALLS = [
    ("call_echo", ("test.echoserver", "echo", ("hi",), {})),
    ("call_kwargs", ("obj", "method", (1, "a", [2.5]), {"k": [1, 2], "z": None})),
    ("call_uri_arg", ("obj", "register", ("name", Pyro4.core.URI("PYRO:obj@localhost:9999")), {})),
]


class Thing(object):
    def __init__(self):
        self._prop = 1

    @Pyro4.expose
    def echo(self, *args, **kwargs):
        return args

    @Pyro4.expose
    def gen(self):
        yield 1
        yield 2
        yield 3

    @Pyro4.expose
    @property
    def prop(self):
        return self._prop

    @prop.setter
    def prop(self, value):
        self._prop = value


def capture_proxy_calls():
    """Run a Pyro4 proxy against a Pyro4 daemon and record each dumpsCall."""
    captured = []
    original = SerpentSerializer.dumpsCall

    def recording(self, obj, method, vargs, kwargs):
        data = original(self, obj, method, vargs, kwargs)
        captured.append(data)
        return data

    # stream ids are uuid4 strings: make them fixed
    Pyro4.core.uuid.uuid4 = lambda: uuid.UUID("12345678-1234-5678-1234-567812345678")
    daemon = Pyro4.Daemon(host="127.0.0.1")
    uri = daemon.register(Thing(), "test.thing")
    threading.Thread(target=daemon.requestLoop, daemon=True).start()
    SerpentSerializer.dumpsCall = recording
    out = {}
    try:
        with Pyro4.Proxy(uri) as p:
            p._pyroSerializer = "serpent"

            def one(name, f):
                del captured[:]
                f()
                out[name] = captured[:]

            one("proxy_echo", lambda: p.echo("hi"))
            one("proxy_kwargs", lambda: p.echo(1, k="v"))
            one("proxy_getattr", lambda: p.prop)

            def setattr_():
                p.prop = 5
            one("proxy_setattr", setattr_)

            def batch():
                b = Pyro4.batch(p)
                b.echo(1)
                b.echo(2, k=3)
                list(b())
            one("proxy_batch", batch)
            one("proxy_get_metadata", lambda: p._pyroGetMetadata())
            one("proxy_stream", lambda: list(p.gen()))

            def close_stream():
                it = p.gen()
                next(it)
                it.close()
            one("proxy_close_stream", close_stream)
    finally:
        SerpentSerializer.dumpsCall = original
        daemon.shutdown()
    files = {}
    files["proxy_echo"] = out["proxy_echo"][0]
    files["proxy_kwargs"] = out["proxy_kwargs"][0]
    files["proxy_getattr"] = out["proxy_getattr"][0]
    files["proxy_setattr"] = out["proxy_setattr"][0]
    files["proxy_batch"] = out["proxy_batch"][0]
    files["proxy_get_metadata"] = out["proxy_get_metadata"][0]
    # the first next() of the stream; the invoking call itself is the plain gen()
    files["proxy_get_next_stream_item"] = out["proxy_stream"][1]
    files["proxy_close_stream"] = out["proxy_close_stream"][-1]
    return files


def float_table():
    rnd = random.Random(1)
    vals = [0.0, -0.0, 1.0, -1.0, 0.5, 1e16, 1e15, 9999999999999998.0, 1e-4, 1e-5, 0.00012345,
            123456789012345678.0, 1.5e16, 2.0**53, 2.0**63, 2.0**64, 5e-324, 2.2250738585072014e-308,
            sys.float_info.max, 0.1, 0.2, 0.3, 1 / 3, 2 / 3, 100.0, 1e100, 1.23e-100]
    for e in range(-30, 30):
        vals.append(10.0**e)
        vals.append(1.5 * 10.0**e)
        vals.append(-9.87654321 * 10.0**e)
    while len(vals) < 3000:
        f = struct.unpack("<d", struct.pack("<Q", rnd.getrandbits(64)))[0]
        if math.isfinite(f):
            vals.append(f)
        vals.append(round(rnd.uniform(-1e6, 1e6), rnd.randint(0, 8)))
    lines = ["%016x %r" % (struct.unpack("<Q", struct.pack("<d", v))[0], v) for v in vals]
    return "\n".join(lines) + "\n"


def ranges(pred):
    out, start = [], None
    for c in range(0x110000):
        if pred(c):
            if start is None:
                start = c
        elif start is not None:
            out.append((start, c - 1))
            start = None
    if start is not None:
        out.append((start, 0x10FFFF))
    return out


def printable_table():
    lines = ["# python %s, unicode %s" % (sys.version.split()[0], unicodedata.unidata_version),
             "# nonprintable: ranges where str.isprintable() is false (surrogates excluded)"]
    for a, b in ranges(lambda c: not (0xD800 <= c < 0xE000) and not chr(c).isprintable()):
        lines.append("n %x %x" % (a, b))
    lines.append("# unassigned: ranges of category Cn in this Unicode version")
    for a, b in ranges(lambda c: unicodedata.category(chr(c)) == "Cn"):
        lines.append("u %x %x" % (a, b))
    return "\n".join(lines) + "\n"


def write(name, data):
    with open(name, "wb") as f:
        f.write(data)


def main():
    os.chdir(os.path.dirname(os.path.abspath(__file__)))
    for name, value in VALUES:
        data = ser.dumps(value)
        assert data == serpent.dumps(value, module_in_classname=True)
        write(name + ".serpent", data)
    for name, args in CALLS:
        write(name + ".serpent", ser.dumpsCall(*args))
    for name, data in capture_proxy_calls().items():
        write(name + ".serpent", data)
    write("floats.txt", float_table().encode())
    write("printable.txt", printable_table().encode())


if __name__ == "__main__":
    main()
