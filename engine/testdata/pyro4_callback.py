# Calls a failing @callback method and its neighbours, on the daemon at
# argv[1], or on a Pyro4 daemon started here when argv[1] is "pyro4", and
# prints what the client sees.
import sys
import threading
import Pyro4
import Pyro4.errors

Pyro4.config.SERIALIZER = "serpent"
if sys.argv[1] == "pyro4":
    @Pyro4.expose
    class Thing(object):
        @Pyro4.callback
        def fail_cb(self):
            raise ValueError("boom")

        def fail(self):
            raise ValueError("plain")

        def ok(self):
            return "ok"

    daemon = Pyro4.Daemon(host="127.0.0.1")
    uri = daemon.register(Thing(), "thing")
    threading.Thread(target=daemon.requestLoop, daemon=True).start()
else:
    uri = sys.argv[1]

p = Pyro4.Proxy(uri)


def call(name):
    try:
        print(name, "->", getattr(p, name)())
    except Pyro4.errors.ConnectionClosedError:
        # "not enough data" or "connection reset": which one depends on
        # whether the next request was on its way when the daemon closed
        print(name, "->", "ConnectionClosedError")
    except Exception as e:
        print(name, "->", type(e).__name__, e)


call("fail")
call("ok")
call("fail_cb")
call("ok")
p._pyroRelease()
call("ok")
