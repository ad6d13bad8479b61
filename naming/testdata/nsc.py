# Drives a name server with Pyro4's name server control tool (pyro4-nsc),
# one command after the other, printing "=== <command>" before each output.
# removematching's y/n question is answered "y".
# Usage: nsc.py NS_HOST NS_PORT
import builtins
import sys

import Pyro4.nsc

host, port = sys.argv[1], sys.argv[2]
builtins.input = lambda prompt="": (print(prompt), "y")[1]
commands = [
    ["ping"],
    ["list"],
    ["register", "x.a", "PYRO:a@localhost:5001"],
    ["register", "x.a", "PYRO:a@localhost:5001"],
    ["register", "x.b", "PYRO:b@localhost:5002"],
    ["register", "y.c", "PYRO:c@localhost:5003"],
    ["register", "bad", "junk"],
    ["register", "onlyname"],
    ["lookup", "x.a"],
    ["lookup", "nope"],
    ["setmeta", "x.a", "t1"],
    ["setmeta", "x.b", "t1", "t2"],
    ["setmeta", "y.c", "t2"],
    ["setmeta", "y.c"],
    ["setmeta", "nope", "t1"],
    ["lookup", "x.b"],
    ["list"],
    ["list", "x."],
    ["listmatching", "x\\.b"],
    ["listmatching", "["],
    ["listmeta_all", "t1"],
    ["listmeta_all", "t1", "t2"],
    ["listmeta_any", "t2", "t9"],
    ["remove", "x.a"],
    ["remove", "x.a"],
    ["removematching", "x.*"],
    ["list"],
]
for cmd in commands:
    print("===", " ".join(cmd), flush=True)
    try:
        Pyro4.nsc.main(["-n", host, "-p", port] + cmd)
    except SystemExit as e:
        print("SystemExit:", e, flush=True)
    sys.stdout.flush()
