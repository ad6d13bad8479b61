#!/usr/bin/python3
"""Capture golden msgpack payloads from the real Pyro4 4.82 and Pyro5 5.15.

    TZ=UTC /usr/bin/python3 serial/testdata/msgpack/capture.py pyro4
    TZ=UTC PYTHONPATH=$(scripts/pyro5-deps.sh) /usr/bin/python3 serial/testdata/msgpack/capture.py pyro5

Each value is serialized with the generation's own MsgpackSerializer
(dumps, or dumpsCall for the call payloads) and written as
<generation>.golden: one "name hex" line per value. TZ=UTC because a naive
datetime's timestamp() depends on the local zone.
"""

import datetime
import decimal
import os
import sys
import uuid

gen = sys.argv[1]
if gen == "pyro4":
    import Pyro4 as P
    import Pyro4.util
    import Pyro4.errors as errors
    ser = Pyro4.util.get_serializer("msgpack")
    assert P.__version__ == "4.82", P.__version__
    uri = P.core.URI("PYRO:obj_1@127.0.0.1:9999")
    proxy = P.core.Proxy("PYRO:obj_1@127.0.0.1:9999")
else:
    import Pyro5 as P
    import Pyro5.api
    import Pyro5.errors as errors
    import Pyro5.serializers
    ser = Pyro5.serializers.serializers["msgpack"]
    assert P.__version__ == "5.15", P.__version__
    uri = Pyro5.api.URI("PYRO:obj_1@127.0.0.1:9999")
    proxy = Pyro5.api.Proxy("PYRO:obj_1@127.0.0.1:9999")
proxy._pyroMethods = {"echo"}

assert os.environ.get("TZ") == "UTC", "run with TZ=UTC"

values = [
    ("none", None),
    ("true", True),
    ("false", False),
    ("int_small", 5),
    ("int_negative", -33),
    ("int_int64_max", 2**63 - 1),
    ("int_int64_min", -2**63),
    ("int_uint64_max", 2**64 - 1),
    ("int_big", 2**64),
    ("int_big_negative", -2**63 - 1),
    ("float", 1.5),
    ("float_inf", float("inf")),
    ("str", "h\u00e9llo \U0001f600"),
    ("str_empty", ""),
    ("bytes", b"\x00\xff abc"),
    ("bytearray", bytearray(b"ba")),
    ("tuple", (1, "a", None)),
    ("list", [1, [2.5, "x"]]),
    ("set", {7}),
    ("dict", {"a": 1, "b": [True]}),
    ("dict_int_keys", {1: "x", 2: "y"}),
    ("dict_tuple_key", {(1, 2): "t"}),
    ("complex", complex(1.5, -2)),
    ("datetime", datetime.datetime(2024, 1, 2, 3, 4, 5, 250000)),
    ("date", datetime.date(2024, 1, 2)),
    ("decimal", decimal.Decimal("1.10")),
    ("uuid", uuid.UUID("12345678-1234-5678-1234-567812345678")),
    ("exception", ValueError("bad value", 3)),
    ("pyro_error", errors.NamingError("unknown name: x")),
    ("uri", uri),
    ("proxy", proxy),
]

lines = []
for name, v in values:
    lines.append("%s %s" % (name, ser.dumps(v).hex()))
lines.append("call %s" % ser.dumpsCall("obj_1", "echo", ("hi", 2, complex(1, 1)), {"k": b"v"}).hex())
lines.append("call_empty %s" % ser.dumpsCall("obj_1", "ping", (), {}).hex())
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), gen + ".golden"), "w") as f:
    f.write("# msgpack payloads from %s %s MsgpackSerializer (capture.py; TZ=UTC)\n" % (gen, P.__version__))
    f.write("\n".join(lines) + "\n")
