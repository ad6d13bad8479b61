# An instance creator that reads the call context: the session instance
# remembers the client address and the USER annotation of the call that
# created it. argv[1] is the daemon's object URI, or "pyro4" for a Pyro4
# daemon started here.
import sys
import threading
import Pyro4

Pyro4.config.SERIALIZER = "serpent"
if sys.argv[1] == "pyro4":
    def make(clazz):
        ctx = Pyro4.current_context
        return clazz("%s:%d" % ctx.client_sock_addr[:2], ctx.annotations.get("USER", b"").decode())

    @Pyro4.expose
    @Pyro4.behavior(instance_mode="session", instance_creator=make)
    class Who(object):
        def __init__(self, addr, user):
            self.addr, self.user = addr, user

        def who(self):
            return [self.addr, self.user]

    daemon = Pyro4.Daemon(host="127.0.0.1")
    uri = daemon.register(Who, "who")
    threading.Thread(target=daemon.requestLoop, daemon=True).start()
else:
    uri = sys.argv[1]

for user in (b"alice", b"bob"):
    p = Pyro4.Proxy(uri)
    Pyro4.current_context.annotations = {"USER": user}
    addr, got = p.who()
    Pyro4.current_context.annotations = {"USER": b"someone else"}
    addr2, got2 = p.who()  # the same session instance
    mine = "%s:%d" % p._pyroConnection.sock.getsockname()[:2]
    print(addr == mine, addr2 == mine, got, got2)
    p._pyroRelease()
