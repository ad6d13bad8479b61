# Registers and looks up names on a gyro name server with the real Pyro4.
import sys

import Pyro4
import Pyro4.errors

ns = Pyro4.Proxy(sys.argv[1])
ns.register("example.one", "PYRO:one@localhost:1")
ns.register("example.two", "PYRO:two@localhost:2")
assert ns.lookup("example.one").object == "one"
try:
    ns.lookup("example.none")
    raise SystemExit("unknown name found")
except Pyro4.errors.NamingError:
    pass
ns._pyroRelease()
print("DONE")
