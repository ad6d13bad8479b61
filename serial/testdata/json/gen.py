#!/usr/bin/python3
"""Regenerates the json golden files from the real Pyro4 4.82.

Run with the system python (the one that has Pyro4):

    cd serial/testdata/json && /usr/bin/python3 gen.py

Every <name>.json is what Pyro4.util.JsonSerializer writes (dumps or
dumpsCall) for one value of the table below, or, for the raw_* cases, an
input json.loads accepts that json.dumps would never write. errors.json
lists inputs Pyro4 cannot read, with the exception its loads or loadsCall
raises: what a Pyro4 daemon sends back.

The Go tests (json_test.go) hold the expected Go value of each case under
the same name.
"""
import json
import os
import sys

import Pyro4
import Pyro4.errors
import Pyro4.futures
import Pyro4.util

ser = Pyro4.util.JsonSerializer()


def exc_with_traceback():
    e = ValueError("bad", 3)
    e._pyroTraceback = ["Traceback (most recent call last):\n", "ValueError: bad\n"]
    return e


# name -> value given to JsonSerializer.dumps
VALUES = {
    "str_ascii": "hello",
    "str_empty": "",
    "str_unicode": "h\u00e9llo w\u00f6rld \u2603 \U0001F600",
    "str_controls": "a\x00\x01\x1f\x7f\n\r\t\b\f\"\\/ end",
    "str_linesep": "\u2028\u2029\u0085",
    "int_zero": 0,
    "int_small": 42,
    "int_neg": -7,
    "int_int64max": 2**63 - 1,
    "int_int64min": -2**63,
    "int_big": 2**70,
    "int_bigneg": -(2**100) + 1,
    "float_one": 1.0,
    "float_negzero": -0.0,
    "float_1e22": 1e22,
    "float_1e-7": 1e-7,
    "float_pi": 3.141592653589793,
    "float_1e16": 1e16,
    "float_1e15": 1e15,
    "float_0_0001": 0.0001,
    "float_tiny": 5e-324,
    "float_max": 1.7976931348623157e308,
    "float_nan": float("nan"),
    "float_inf": float("inf"),
    "float_ninf": float("-inf"),
    "true": True,
    "false": False,
    "none": None,
    "tuple": (1, "a", None),
    "tuple_empty": (),
    "list_nested": [1, [2, [3, []]], {}],
    "set": {3},
    "dict_str": {"a": 1, "b": [True, None]},
    "dict_nonstr_keys": {2: "int", 1.5: "float", False: "bool", None: "none", "s": "str", 2**70: "big"},
    "dict_special_float_keys": {float("nan"): 1, float("inf"): 2, float("-inf"): 3},
    "exception": ValueError("bad", 3),
    "exception_traceback": exc_with_traceback(),
    "exception_pyro": Pyro4.errors.NamingError("unknown name: x"),
    "exception_noargs": Pyro4.errors.CommunicationError(),
    "uri": Pyro4.URI("PYRO:obj@localhost:9999"),
    "uri_unix": Pyro4.URI("PYRO:obj@./u:/tmp/pyro.sock"),
    "uri_name": Pyro4.URI("PYRONAME:foo.bar"),
    "uri_v6": Pyro4.URI("PYRO:obj@[::1]:5000"),
    "proxy": Pyro4.Proxy("PYRO:thing@127.0.0.1:43079"),
    "batch_result": [1, "two", Pyro4.futures._ExceptionWrapper(ValueError("x"))],
}

# name -> (object, method, vargs, kwargs) given to dumpsCall
CALLS = {
    "call_echo": ("test.echoserver", "echo", ("hi",), {}),
    "call_kwargs": ("obj", "method", (1, 2.5, "x"), {"a": 1, "b": [1, 2]}),
    "call_getattr": ("obj", "__getattr__", ("prop",), None),
    "call_setattr": ("obj", "__setattr__", ("prop", 5), None),
    "call_batch": ("obj", "<batch>", [["echo", [1], {}], ["error", [], {}]], None),
    "call_uri_arg": ("Pyro.NameServer", "register", ("name", Pyro4.URI("PYRO:obj@localhost:9999")), {"safe": True}),
    "call_noargs": ("Pyro.Daemon", "get_metadata", ["obj"], {}),
}

# inputs json.loads reads that json.dumps does not write (decode only)
RAW = {
    "raw_whitespace": b' \r\n\t{ "a" :\n[ 1 ,2\t] , "b":{ } }\n ',
    "raw_escapes": b'"\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\\"\\\\\\u0041"',
    "raw_lone_surrogate": b'"a\\ud800b\\udc00c"',
    "raw_duplicate_keys": b'{"a": 1, "b": 2, "a": 3}',
    "raw_numbers": b'[1E5, 1e-2, -0, -0.0, 0.5e+1, 1e400, -1e400, 123456789012345678901234567890]',
    "raw_compact": b'{"object":"test.echoserver","method":"echo","params":["hi"],"kwargs":{}}',
    "raw_many_keys": ("{" + ", ".join('"k%d": %d' % (i % 12, i) for i in range(30)) + "}").encode(),
    "raw_call_kwargs_null": b'{"object": "obj", "method": "m", "params": [], "kwargs": null}',
    "raw_call_string_params": b'{"object": "obj", "method": "m", "params": "ab", "kwargs": {}}',
    "raw_call_reordered": b'{"kwargs": {"k": 1}, "params": [1], "method": "m", "object": "o", "extra": 1}',
    "raw_call_dup": b'{"object": "a", "method": "m", "params": [], "kwargs": {}, "object": "b"}',
}

# inputs Pyro4 cannot read: name -> (bytes, call?)
ERRORS = {
    "empty": (b"", False),
    "space": (b" ", False),
    "garbage": (b"x", False),
    "open_array": (b"[", False),
    "array_no_comma": (b"[1 2]", False),
    "array_unclosed": (b"[1", False),
    "array_trailing_comma": (b"[1,]", False),
    "open_object": (b"{", False),
    "object_no_colon": (b'{"a" 1}', False),
    "object_no_value": (b'{"a":', False),
    "object_unclosed": (b'{"a":1', False),
    "object_trailing_comma": (b'{"a":1,}', False),
    "object_int_key": (b"{1:2}", False),
    "string_unterminated": (b'"abc', False),
    "string_backslash_end": (b'"a\\', False),
    "string_bad_escape": (b'"a\\x"', False),
    "string_short_u": (b'"a\\u12"', False),
    "string_bad_u": (b'"a\\u12g4"', False),
    "string_u_at_end": (b'"\\u1234', False),
    "string_bad_second_u": (b'"\\ud800\\udxyz"', False),
    "string_control": (b'"a\x01"', False),
    "string_newline": (b'["ok",\n"a\nb"]', False),
    "extra_data": (b"1 2", False),
    "leading_zero": (b"01", False),
    "dot_no_digits": (b"1.", False),
    "exponent_no_digits": (b"1e", False),
    "exponent_sign_only": (b"[1e+]", False),
    "minus_alone": (b"-", False),
    "minus_x": (b"-x", False),
    "minus_in_array": (b"[-]", False),
    "inf_short": (b"-Inf", False),
    "null_short": (b"nul", False),
    "bom": (b"\xef\xbb\xbf1", False),
    "extra_after_lines": (b"[1]\n\n x", False),
    "extra_after_unicode": ('"\u00e9\u2603" x'.encode(), False),
    "position_multiline": (b"[1,\n2,\n 3x]", False),
    "too_many_digits": (b"1" * 4301, False),
    "too_many_digits_neg": (b"-" + b"1" * 4301, False),
    "utf8_invalid_start": (b'"\xff"', False),
    "utf8_bad_continuation": (b'"a\xe4\xbdx"', False),
    "utf8_truncated": (b'"\xe4\xbd', False),
    "utf8_surrogate": (b'"\xed\xa0\x80"', False),
    "utf8_overlong": (b'"\xc0\xaf"', False),
    "utf8_truncated4": (b'"\xf0\x90\x80', False),
    "class_unknown": (b'{"__class__": "foo.Bar"}', False),
    "class_dunder": (b'[{"__class__": "a__b"}]', False),
    "class_pyro_unknown": (b'{"__class__": "Pyro4.errors.Foo"}', False),
    "call_list": (b"[1]", True),
    "call_string": (b'"abc"', True),
    "call_int": (b"5", True),
    "call_null": (b"null", True),
    "call_float": (b"1.5", True),
    "call_bool": (b"true", True),
    "call_no_params": (b"{}", True),
    "call_no_kwargs": (b'{"params": []}', True),
    "call_no_object": (b'{"params": [], "kwargs": {}}', True),
    "call_no_method": (b'{"params": [], "kwargs": {}, "object": "o"}', True),
    "call_bad_json": (b'{"params": [}', True),
    "call_class_in_params": (b'{"params": [{"__class__": "x.Y"}], "kwargs": {}, "object": "o", "method": "m"}', True),
}


def tagged(v):
    """Python value -> json-able form for errors.json (bytes tagged)."""
    if isinstance(v, bytes):
        return {"bytes": v.hex()}
    if isinstance(v, (list, tuple)):
        return [tagged(x) for x in v]
    return v


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    os.chdir(here)
    for name, v in VALUES.items():
        with open(name + ".json", "wb") as f:
            f.write(ser.dumps(v))
    for name, (obj, method, vargs, kwargs) in CALLS.items():
        with open(name + ".json", "wb") as f:
            f.write(ser.dumpsCall(obj, method, vargs, kwargs))
    for name, data in RAW.items():
        ser.loads(data)  # must be accepted
        with open(name + ".json", "wb") as f:
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
            attrs = {k: v for k, v in vars(e).items() if k != "doc"}
            errors.append({"name": name, "input": data.hex(), "call": call, "class": cls,
                           "args": tagged(list(e.args)), "attrs": attrs})
        else:
            sys.exit("error case %s was accepted" % name)
    with open("errors.json", "w") as f:
        json.dump(errors, f, indent=1, ensure_ascii=True)
        f.write("\n")


if __name__ == "__main__":
    main()
