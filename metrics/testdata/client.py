# Drives a gyro daemon serving the echo object with the real Pyro4 client:
# good calls, a failing call, an unknown-method storm, an unknown-object
# storm, a json client, a refused serializer and a non-Pyro frame. Prints
# DONE when every connection it opened is closed.
import socket
import sys

import Pyro4
import Pyro4.errors

uri, storm = sys.argv[1], int(sys.argv[2])
Pyro4.config.SERIALIZER = "serpent"

with Pyro4.Proxy(uri) as p:
    for i in range(5):
        assert p.echo(i) == i
    try:
        p.error()
        raise SystemExit("error() did not raise")
    except ValueError:
        pass
    # bypass the metadata check: a hostile client sends any name it likes
    for i in range(storm):
        try:
            p._pyroInvoke("nope%d" % i, (), {})
            raise SystemExit("unknown method did not raise")
        except AttributeError:
            pass

Pyro4.config.METADATA = False
target = Pyro4.URI(uri)
for i in range(storm // 10):
    ghost = Pyro4.URI("PYRO:ghost%d@%s:%d" % (i, target.host, target.port))
    with Pyro4.Proxy(ghost) as g:
        try:
            g.anything()
            raise SystemExit("unknown object did not raise")
        except Pyro4.errors.DaemonError:
            pass
Pyro4.config.METADATA = True

Pyro4.config.SERIALIZER = "json"
with Pyro4.Proxy(uri) as p:
    assert p.echo("x") == "x"

Pyro4.config.SERIALIZER = "pickle"
try:
    with Pyro4.Proxy(uri) as p:
        p.echo(1)
    raise SystemExit("pickle was accepted")
except Pyro4.errors.CommunicationError:
    pass

s = socket.create_connection((target.host, target.port))
s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
s.recv(100)
s.close()
print("DONE")
