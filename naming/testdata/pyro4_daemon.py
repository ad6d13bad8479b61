# A Pyro4 daemon registers an object in the name server at NS_HOST:NS_PORT,
# then Pyro4 clients reach it through PYRONAME: and PYROMETA: URIs that the
# name server resolves. Prints one "label: result" line per step.
# Usage: pyro4_daemon.py NS_HOST NS_PORT
import sys
import threading

import Pyro4
import Pyro4.errors

ns_host, ns_port = sys.argv[1], int(sys.argv[2])
Pyro4.config.COMMTIMEOUT = 10.0


@Pyro4.expose
class Thing(object):
    def method(self, arg):
        return arg * 2


daemon = Pyro4.Daemon(host="127.0.0.1")
uri = daemon.register(Thing(), "example.thing")
ns = Pyro4.locateNS(ns_host, ns_port)
ns.register("example.thing", uri, metadata={"tag:thing", "tag:two"})
threading.Thread(target=daemon.requestLoop, daemon=True).start()
loc = "@%s:%d" % (ns_host, ns_port)


def step(label, fn):
    try:
        print("%s: %s" % (label, fn()), flush=True)
    except Exception as e:
        print("%s: EXC %s: %s" % (label, type(e).__name__, e), flush=True)


step("lookup", lambda: ns.lookup("example.thing", return_metadata=True)[0] == uri)
step("pyroname", lambda: Pyro4.Proxy("PYRONAME:example.thing" + loc).method(21))
step("pyrometa", lambda: Pyro4.Proxy("PYROMETA:tag:thing" + loc).method(4))
step("pyrometa.both", lambda: Pyro4.Proxy("PYROMETA:tag:two,tag:thing" + loc).method(5))
step("pyrometa.none", lambda: Pyro4.Proxy("PYROMETA:tag:none" + loc).method(1))
step("pyroname.unknown", lambda: Pyro4.Proxy("PYRONAME:no.such" + loc).method(1))
step("resolve", lambda: Pyro4.resolve("PYRONAME:example.thing" + loc) == uri)
step("remove", lambda: ns.remove("example.thing"))
daemon.shutdown()
