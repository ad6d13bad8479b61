#!/usr/bin/python3
"""Regenerates the marshal golden files from the real Pyro4 4.82 on CPython 3.11.

Run with the system python (the one that has Pyro4):

    cd serial/testdata/marshal && /usr/bin/python3 gen.py

CPython flags an object with FLAG_REF only when its reference count is
above one, and writes a back-reference only for the very same object, so
its bytes depend on how a value was built. fresh() rebuilds each value so
that every object is shared (kept alive in KEEP) and only the objects
CPython itself makes identical repeat: interned identifier-like strings,
one-character Latin-1 strings, "", (), b"" and the small ints -5..256.
That is the rule gyro's encoder follows, so for these files gyro's bytes
must equal CPython's.

Every <name>.marshal is what Pyro4.util.MarshalSerializer writes (dumps or
dumpsCall) for one value of the table; the raw_* files are decode-only
inputs: real Pyro4 output built the ordinary way, and hand-made bytes
using codes CPython 3.11 reads but does not write. errors.json lists
inputs Pyro4 cannot read, with the exception loads or loadsCall raises.

The Go tests (marshal_test.go) hold the expected Go value of each case
under the same name.
"""
import json
import marshal
import os
import re
import struct
import sys

import Pyro4
import Pyro4.errors
import Pyro4.futures
import Pyro4.util

ser = Pyro4.util.MarshalSerializer()
KEEP = []
NAME = re.compile(r"[A-Za-z0-9_]*\Z")


def fresh(v):
    t = type(v)
    if v is None or t is bool:
        return v
    if t is int:
        if -5 <= v <= 256:
            return v
        r = int(str(v))
    elif t is float:
        r = float(repr(v))
    elif t is complex:
        r = complex(float(repr(v.real)), float(repr(v.imag)))
    elif t is str:
        if v.isascii() and NAME.match(v):
            r = sys.intern(v)
        elif len(v) == 1 and ord(v) < 256:
            return v
        else:
            r = "".join(list(v))
    elif t is bytes:
        if not v:
            return v
        r = bytes(bytearray(v))
    elif t is tuple:
        if not v:
            return v
        r = tuple(fresh(x) for x in v)
    elif t is list:
        r = [fresh(x) for x in v]
    elif t is dict:
        r = {fresh(k): fresh(x) for k, x in v.items()}
    elif t is set:
        r = {fresh(x) for x in v}
    elif t is frozenset:
        r = frozenset(fresh(x) for x in v)
    else:
        raise TypeError(t)
    KEEP.append(r)
    return r


def as_dict(obj):
    return Pyro4.util.SerializerBase.class_to_dict(obj)


def exc_with_traceback():
    e = ValueError("bad", 3)
    e._pyroTraceback = ["Traceback (most recent call last):\n", "ValueError: bad\n"]
    return e


# name -> value; given to MarshalSerializer.dumps after fresh()
VALUES = {
    "str_ascii": "hello",
    "str_dotted": "test.echoserver",
    "str_empty": "",
    "str_unicode": "h\u00e9llo w\u00f6rld \u2603 \U0001F600",
    "str_controls": "a\x00\x01\x1f\x7f\n\r\t end",
    "str_long_name": "x" * 300,
    "str_long": "y." * 150,
    "str_latin1_char": "\u00e9",
    "str_repeats": ["abc", "abc", "a.b", "a.b", "-", "-", "\u00e9", "\u00e9", "", "", "x", "x"],
    "int_zero": 0,
    "int_small": 42,
    "int_neg": -7,
    "int_repeats": [5, 5, 300, 300, -5, -5, -6, -6, 256, 256, 257, 257],
    "int_int32max": 2**31 - 1,
    "int_int32min": -2**31,
    "int_2_31": 2**31,
    "int_neg_2_31_minus1": -2**31 - 1,
    "int_int64max": 2**63 - 1,
    "int_int64min": -2**63,
    "int_2_64": 2**64,
    "int_big": 2**100 + 12345,
    "int_bigneg": -(2**200) - 1,
    "float_one": 1.0,
    "float_negzero": -0.0,
    "float_1e22": 1e22,
    "float_1e-7": 1e-7,
    "float_nan": float("nan"),
    "float_inf": float("inf"),
    "float_ninf": float("-inf"),
    "complex": complex(1.5, -2.0),
    "complex_zero": complex(0.0, 0.0),
    "true": True,
    "false": False,
    "none": None,
    "bytes": b"\x00\x01\xffabc",
    "bytes_empty": b"",
    "bytes_repeats": [b"", b"", b"ab", b"ab"],
    "tuple": (1, "a", None),
    "tuple_empty": (),
    "tuple_repeats": [(), ()],
    "tuple_large": tuple(range(300)),
    "list_nested": [1, [2, [3, []]], {}],
    "list_empty": [],
    "set": {1, 2, 3},
    "set_empty": set(),
    "dict_str": {"a": 1, "b": [True, None]},
    "dict_nonstr_keys": {2: "int", 1.5: "float", None: "none", (1, 2): "tuple", b"k": "bytes", 2**70: "big"},
    "dict_empty": {},
    "dict_nested": {"outer": {"inner": {"x": [1, 2, {"y": ()}]}}},
    "exception": as_dict(ValueError("bad", 3)),
    "exception_traceback": as_dict(exc_with_traceback()),
    "exception_pyro": as_dict(Pyro4.errors.NamingError("unknown name: x")),
    "uri": as_dict(Pyro4.URI("PYRO:obj@localhost:9999")),
    "uri_unix": as_dict(Pyro4.URI("PYRO:obj@./u:/tmp/pyro.sock")),
    "proxy": as_dict(Pyro4.Proxy("PYRO:thing@127.0.0.1:43079")),
    "batch_result": [1, "two", as_dict(Pyro4.futures._ExceptionWrapper(ValueError("x")))],
}

# name -> (object, method, vargs, kwargs) given to dumpsCall after fresh()
CALLS = {
    "call_echo": ("test.echoserver", "echo", ("hi",), {}),
    "call_kwargs": ("obj", "method", (1, 2.5, "x"), {"a": 1, "b": [1, 2]}),
    "call_uri_arg": ("Pyro.NameServer", "register", ("name", as_dict(Pyro4.URI("PYRO:obj@localhost:9999"))), {"safe": True}),
    "call_noargs": ("Pyro.Daemon", "get_metadata", ["obj"], {}),
}


def i32(n):
    return struct.pack("<i", n)


# decode-only inputs
RAW = {
    # Pyro4's own output for objects, with its fresh, unflagged parts
    "raw_pyro_uri": ser.dumps(Pyro4.URI("PYRO:obj@localhost:9999")),
    "raw_pyro_exception": ser.dumps(ValueError("bad", 3)),
    "raw_pyro_proxy": ser.dumps(Pyro4.Proxy("PYRO:thing@127.0.0.1:43079")),
    # codes CPython reads but does not write any more
    "raw_int64": b"I" + struct.pack("<q", -2),
    "raw_text_float": b"f\x031.5",
    "raw_text_complex": b"x\x031.5\x04-2.0",
    "raw_interned_unicode": b"t" + i32(2) + "\u00e9".encode(),
    "raw_long_ascii_interned": b"A" + i32(3) + b"abc",
    "raw_tuple_code": b"(" + i32(2) + b"NT",
    "raw_frozenset": b">" + i32(2) + b"i" + i32(1) + b"i" + i32(2),
    "raw_latin1_short": b"z\x02\xe9\xff",
    "raw_latin1_long": b"a" + i32(2) + b"\xe9\xff",
    "raw_surrogate": b"u" + i32(3) + b"\xed\xa0\x80",
    # structure CPython accepts
    "raw_flagged_none": b"\xce",
    "raw_trailing": b"N" + b"junk",
    "raw_shared_list": b"[" + i32(2) + b"\xdb" + i32(1) + b"i" + i32(1) + b"r" + i32(0),
    "raw_dict_dup_keys": b"{" + b"z\x01a" + b"i" + i32(1) + b"z\x01b" + b"i" + i32(2) + b"z\x01a" + b"i" + i32(3) + b"0",
    "raw_dict_num_keys": b"{" + b"i" + i32(1) + b"z\x01a" + b"T" + b"z\x01b" + b"g" + struct.pack("<d", 1.0) + b"z\x01c" + b"0",
    "raw_dict_null_value": b"{" + b"z\x01a" + b"i" + i32(1) + b"z\x01b" + b"0",
    "raw_set_dups": b"<" + i32(4) + b"i" + i32(1) + b"T" + b"i" + i32(2) + b"g" + struct.pack("<d", 2.0),
    "raw_many_keys": b"{" + b"".join(b"z\x02k" + bytes([48 + i % 10]) + b"i" + i32(i) for i in range(25)) + b"0",
    "raw_long_zero": b"l" + i32(0),
    "raw_long_small": b"l" + i32(-1) + struct.pack("<H", 5),
    "raw_call_list": b"[" + i32(4) + b"z\x03obj" + b"z\x01m" + b"(" + i32(1) + b"i" + i32(7) + b"N",
    "raw_call_none_kwargs": marshal.dumps(("obj", "m", ["a"], None)),
}

# inputs Pyro4 cannot read: name -> (bytes, call?)
ERRORS = {
    "empty": (b"", False),
    "null": (b"0", False),
    "null_in_tuple": (b")\x020N", False),
    "null_in_list": (b"[" + i32(1) + b"0", False),
    "null_in_set": (b"<" + i32(1) + b"0", False),
    "null_in_frozenset": (b">" + i32(1) + b"0", False),
    "dict_eof": (b"{NN", False),
    "list_eof": (b"[" + i32(1), False),
    "int_short": (b"i\x01\x00", False),
    "long_unnormalized": (b"l" + i32(1) + b"\x00\x00", False),
    "long_bad_digit": (b"l" + i32(1) + b"\x00\x80", False),
    "long_short": (b"l" + i32(2) + b"\x01\x00", False),
    "long_bad_digit_then_short": (b"l" + i32(3) + b"\x01\x00\x00\x80", False),
    "long_size": (b"l" + i32(-2**31), False),
    "bytes_size": (b"s" + i32(-1), False),
    "bytes_short": (b"s" + i32(5) + b"ab", False),
    "bytes_huge": (b"s" + i32(2**31 - 1) + b"ab", False),
    "unicode_size": (b"u" + i32(-1), False),
    "ascii_size": (b"a" + i32(-1), False),
    "short_ascii_short": (b"z\x05ab", False),
    "unicode_truncated_surrogate": (b"u" + i32(2) + b"\xed\xa0", False),
    "unicode_invalid_start": (b"u" + i32(3) + b"\xff\xa0\x80", False),
    "unicode_bad_continuation": (b"u" + i32(3) + b"a\xe4x", False),
    "unicode_truncated": (b"u" + i32(2) + b"\xe4\xbd", False),
    "unicode_surrogate_bad_third": (b"u" + i32(3) + b"\xed\xa0A", False),
    "tuple_size": (b"(" + i32(-1), False),
    "list_size": (b"[" + i32(-1), False),
    "set_size": (b"<" + i32(-1), False),
    "list_huge": (b"[" + i32(2**31 - 1) + b"N", False),
    "ref_empty": (b"r" + i32(0), False),
    "ref_negative": (b"\xdb" + i32(1) + b"r" + i32(-1), False),
    "ref_frozenset_in_progress": (b"\xbe" + i32(1) + b"r" + i32(0), False),
    "dict_list_key": (b"{[" + i32(0) + b"N0", False),
    "set_list_elem": (b"<" + i32(1) + b"[" + i32(0), False),
    "set_tuple_with_list": (b"<" + i32(1) + b")\x01[" + i32(0), False),
    "text_float_bad": (b"f\x030x1", False),
    "unknown_code": (b"?", False),
    "depth": (b")\x01" * 2000 + b"N", False),
    "class_unknown": (b"{z\x09__class__z\x07foo.Bar0", False),
    "class_dunder": (b"[" + i32(1) + b"{z\x09__class__z\x04a__b0", False),
    "call_int": (b"i" + i32(5), True),
    "call_short": (b")\x03NNN", True),
    "call_long": (b")\x05NNNNN", True),
    "call_null": (b"N", True),
}


def tagged(v):
    if isinstance(v, bytes):
        return {"bytes": v.hex()}
    if isinstance(v, (list, tuple)):
        return [tagged(x) for x in v]
    return v


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    os.chdir(here)
    for name, v in VALUES.items():
        with open(name + ".marshal", "wb") as f:
            f.write(ser.dumps(fresh(v)))
    for name, (obj, method, vargs, kwargs) in CALLS.items():
        with open(name + ".marshal", "wb") as f:
            f.write(ser.dumpsCall(fresh(obj), fresh(method), fresh(vargs), fresh(kwargs)))
    for name, data in RAW.items():
        if name.startswith("raw_call"):
            marshal.loads(data)
        else:
            ser.loads(data)  # must be accepted
        with open(name + ".marshal", "wb") as f:
            f.write(data)
    errors = []
    for name, (data, call) in ERRORS.items():
        try:
            if call:
                ser.loadsCall(data)
            else:
                ser.loads(data)
        except Exception as e:
            cls = type(e).__module__ + "." + type(e).__name__
            errors.append({"name": name, "input": data.hex(), "call": call, "class": cls,
                           "args": tagged(list(e.args))})
        else:
            sys.exit("error case %s was accepted" % name)
    with open("errors.json", "w") as f:
        json.dump(errors, f, indent=1, ensure_ascii=True)
        f.write("\n")


if __name__ == "__main__":
    main()
