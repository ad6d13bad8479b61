#!/usr/bin/python3
"""Capture golden pickle payloads from the real Pyro4 4.82 PickleSerializer.

    TZ=UTC /usr/bin/python3 serial/testdata/pickle/capture.py

Pyro4 pickles with config.PICKLE_PROTOCOL_VERSION, which defaults to
pickle.HIGHEST_PROTOCOL (5 on the system python 3.11). Writes pyro4.golden:
one "name hex" line per value, dumps() or dumpsCall().
"""

import datetime
import os
import pickle

import Pyro4
import Pyro4.core
import Pyro4.errors
import Pyro4.futures
import Pyro4.util
from Pyro4.configuration import config

assert Pyro4.__version__ == "4.82", Pyro4.__version__
assert config.PICKLE_PROTOCOL_VERSION == pickle.HIGHEST_PROTOCOL == 5, config.PICKLE_PROTOCOL_VERSION
ser = Pyro4.util.get_serializer("pickle")

exc = ValueError("bad value", 3)
exc._pyroTraceback = ["Traceback (most recent call last):\n", "ValueError: bad value\n"]
proxy = Pyro4.core.Proxy("PYRO:obj_1@127.0.0.1:9999")
values = [
    ("none", None),
    ("true", True),
    ("int_small", 5),
    ("int_negative", -33),
    ("int_int64_max", 2**63 - 1),
    ("int_big", 2**64),
    ("float", 1.5),
    ("str", "h\u00e9llo \U0001f600"),
    ("bytes", b"\x00\xff abc"),
    ("bytearray", bytearray(b"ba")),
    ("tuple", (1, "a", None)),
    ("list", [1, [2.5, "x"]]),
    ("set", {7}),
    ("frozenset", frozenset(["f"])),
    ("dict", {"a": 1, "b": [True]}),
    ("dict_int_keys", {1: "x", (1, 2): "t"}),
    ("shared", [[1], [1]]),
    ("complex", complex(1.5, -2)),
    ("exception", exc),
    ("pyro_error", Pyro4.errors.NamingError("unknown name: x")),
    ("uri", Pyro4.core.URI("PYRO:obj_1@127.0.0.1:9999")),
    ("proxy", proxy),
    ("datetime", datetime.datetime(2024, 1, 2, 3, 4, 5, 250000)),
    ("date", datetime.date(2024, 1, 2)),
]
lines = ["%s %s" % (name, ser.dumps(v).hex()) for name, v in values]
lines.append("call %s" % ser.dumpsCall("obj_1", "echo", ("hi", 2, complex(1, 1)), {"k": b"v"}).hex())
# What a pickle peer must never get to run: posix.system("true"), written
# the way pickle.dumps writes a REDUCE of a global (protocol 5).
EVIL = (b"\x80\x05\x95\x1d\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x94\x8c\x06system\x94\x93\x94"
        b"\x8c\x04true\x94\x85\x94R\x94.")
lines.append("evil " + EVIL.hex())
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pyro4.golden"), "w") as f:
    f.write("# pickle payloads from Pyro4 %s PickleSerializer, protocol %d (capture.py; TZ=UTC)\n" % (Pyro4.__version__, config.PICKLE_PROTOCOL_VERSION))
    f.write("\n".join(lines) + "\n")
