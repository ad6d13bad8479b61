# A real Pyro4 client sends n oneway note() calls, then asks for the notes
# and prints them (TestPyro4OnewayCalls). Arguments: URI, n.
import sys
import Pyro4

p = Pyro4.Proxy(sys.argv[1])
for i in range(int(sys.argv[2])):
    p.note("n%d" % i)
print(" ".join(p.notes()))
