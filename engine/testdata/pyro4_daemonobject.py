# A Pyro4 client of an extended Pyro.Daemon object: argv[1] is the daemon
# object's URI, argv[2] the echo object's.
import sys
import Pyro4

Pyro4.config.SERIALIZER = "serpent"
d = Pyro4.Proxy(sys.argv[1])
print(d.greeting("pyro4"))
print(",".join(sorted(d.registered())))
md = d.get_metadata("test.echoserver")
print("generator" in md["methods"], "oneway_slow" in md["oneway"])
print("greeting" in d.get_metadata("Pyro.Daemon", as_lists=True)["methods"])
print(list(Pyro4.Proxy(sys.argv[2]).generator()))
