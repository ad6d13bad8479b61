# A Pyro4 client of an extended Pyro.Daemon object: argv[1] is the daemon
# object's URI and argv[2] the echo object's, or argv[1] is "pyro4" for a
# Pyro4 daemon started here with a DaemonObject subclass and Pyro4's echo
# server.
import sys
import threading
import Pyro4

Pyro4.config.SERIALIZER = "serpent"
if sys.argv[1] == "pyro4":
    import Pyro4.core
    from Pyro4.test.echoserver import EchoServer

    class ExtendedDaemon(Pyro4.core.DaemonObject):
        @Pyro4.expose
        def greeting(self, name):
            return "hello " + name

    daemon = Pyro4.Daemon(host="127.0.0.1", interface=ExtendedDaemon)
    echo_uri = daemon.register(EchoServer(), "test.echoserver")
    daemon_uri = daemon.uriFor("Pyro.Daemon")
    threading.Thread(target=daemon.requestLoop, daemon=True).start()
else:
    daemon_uri, echo_uri = sys.argv[1], sys.argv[2]

d = Pyro4.Proxy(daemon_uri)
print(d.greeting("pyro4"))
print(",".join(sorted(d.registered())))
md = d.get_metadata("test.echoserver")
print("generator" in md["methods"], "oneway_slow" in md["oneway"])
print("greeting" in d.get_metadata("Pyro.Daemon", as_lists=True)["methods"])
print(list(Pyro4.Proxy(echo_uri).generator()))
