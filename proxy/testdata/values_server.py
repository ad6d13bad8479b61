"""A Pyro4 daemon whose object returns Python values of every kind the Go
side converts with proxy.As, for the typed-result interop tests."""
import datetime

import Pyro4

VALUES = {
    "point": {"x": 1, "y": -2, "label": "p"},
    "ints": {"i8": -128, "i16": 32767, "i32": -2 ** 31, "i64": -2 ** 63, "u8": 255,
             "u16": 65535, "u32": 2 ** 32 - 1, "u64": 2 ** 64 - 1, "big": 2 ** 70},
    "int_256": 256,
    "int_minus_1": -1,
    "int_2_64": 2 ** 64,
    "float": 1.5,
    "inf": float("inf"),
    "float_1e300": 1e300,
    "list": [1, 2, 3],
    "tuple": (1, "a", 2.5),
    "set": {3},
    "frozenset": frozenset({"a"}),
    "int_keys": {1: "a", -2: "b"},
    "float_keys": {1.5: "x"},
    "tuple_keys": {(1, 2): "p"},
    "tree": {"name": "root", "children": [
        {"name": "a", "children": []},
        {"name": "b", "children": [{"name": "c", "children": []}]}]},
    "datetime": datetime.datetime(2024, 1, 2, 3, 4, 5, 600000),
    "date": datetime.date(2024, 1, 2),
    "bytes": b"\x00\xff",
    "none": None,
    "bool": True,
    "complex": 1 + 2j,
    "str": "h\u00e9llo \u2603",
}


@Pyro4.expose
class Values(object):
    def value(self, name):
        return VALUES[name]

    def echo(self, v):
        return v

    def points(self, n):
        for i in range(n):
            yield {"x": i, "y": -i, "label": str(i)}


daemon = Pyro4.Daemon(host="127.0.0.1", port=0)
print("values uri:", daemon.register(Values(), "values"), flush=True)
daemon.requestLoop()
