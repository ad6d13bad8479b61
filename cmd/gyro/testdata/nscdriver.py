# Runs Pyro4's own nsc (Pyro4.nsc.main, what python3 -m Pyro4.nsc runs) once
# per step, each with its own stdin, and prints every step's stdout,
# stderr and exit code as JSON. Input on stdin: a JSON list of
# {"args": [...], "stdin": "..."}.
import io
import json
import sys

from Pyro4 import nsc

steps = json.load(sys.stdin)
real_out = sys.stdout
results = []
for step in steps:
    out, err = io.StringIO(), io.StringIO()
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(step.get("stdin", "")), out, err
    code = 0
    try:
        nsc.main(step["args"])
    except SystemExit as x:
        if x.code is None:
            code = 0
        elif isinstance(x.code, int):
            code = x.code
        else:
            print(x.code, file=err)
            code = 1
    finally:
        sys.stdout, sys.stderr = real_out, sys.__stderr__
    results.append({"out": out.getvalue(), "err": err.getvalue(), "code": code})
json.dump(results, real_out)
