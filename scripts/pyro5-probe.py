#!/usr/bin/python3
"""Probe the real Pyro5 5.15 for the facts quoted in docs/pyro5-wire.md (name server API,
broadcast reply, serializer payloads of both generations, exception classes a Pyro5 client
rebuilds). Run: PYTHONPATH=$(scripts/pyro5-deps.sh) /usr/bin/python3 scripts/pyro5-probe.py"""
import threading, socket, Pyro5.api, Pyro5.nameserver as ns, Pyro5.core, Pyro5.errors
from Pyro5 import config
uri, daemon, bc = ns.start_ns(host="127.0.0.1", port=0, enableBroadcast=True, bchost="127.0.0.1", bcport=0)
threading.Thread(target=daemon.requestLoop, daemon=True).start()
bc = ns.BroadcastServer(uri, "127.0.0.1", 0); bc.runInThread()
print("ns uri", uri, "bc", bc.locationStr)
p = Pyro5.api.Proxy(uri)
p.register("a.b", "PYRO:obj@127.0.0.1:5555", metadata={"m1", "m2"})
p.register("a.c", Pyro5.api.URI("PYRO:obj2@127.0.0.1:5555"))
print("count", p.count())
print("lookup", repr(p.lookup("a.b")), repr(p.lookup("a.b", return_metadata=True)))
print("list", p.list(prefix="a."), p.list(regex="a\\..", return_metadata=True))
print("yplookup", p.yplookup(meta_all=["m1"]), p.yplookup(meta_any=["m2"], return_metadata=False))
try: p.register("a.b", "PYRO:x@h:1", safe=True)
except Exception as x: print("safe", type(x), x)
try: p.lookup("nope")
except Exception as x: print("lookup err", type(x), x)
p.set_metadata("a.c", ["z"])
print("remove", p.remove("a.c"), p.remove(prefix="a."))
print("ping", p.ping())
print("meta", p._pyroMethods)
# raw broadcast
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.sendto(b"GET_NSURI", ("127.0.0.1", bc.getPort()))
print("bc reply", s.recvfrom(100)[0])
s.sendto(b"GET_NSURI_X", ("127.0.0.1", bc.getPort()))
try: print("bc reply2", s.recvfrom(100)[0])
except socket.timeout: print("bc: no reply to other text")
import Pyro5.serializers as S
for n in ("serpent","json","marshal","msgpack"):
    print(n, S.serializers[n].dumpsCall("Pyro.NameServer","lookup",("a.b",),{"return_metadata":True}))
print("pyro5 serpent exc", S.serializers["serpent"].dumps(Pyro5.errors.NamingError("x")))
import Pyro4.util
print("pyro4 serpent exc", Pyro4.util.get_serializer("serpent").dumps(Pyro4.errors.NamingError("x")))
print("pyro5 json uri", S.serializers["json"].dumps(Pyro5.api.URI("PYRO:o@h:1")))
print("pyro5 serpent proxy", S.serializers["serpent"].dumps(Pyro5.api.Proxy("PYRO:o@h:1")))
print("pyro4 serpent call", Pyro4.util.get_serializer("serpent").dumpsCall("o","m",(1,b"x"),{}))
print("pyro5 serpent call", S.serializers["serpent"].dumpsCall("o","m",(1,b"x"),{}))
print("pyro4 json call", Pyro4.util.get_serializer("json").dumpsCall("o","m",(1,),{}))
print("pyro5 json call", S.serializers["json"].dumpsCall("o","m",(1,),{}))
print("pyro4 marshal call", Pyro4.util.get_serializer("marshal").dumpsCall("o","m",(1,),{}))
print("pyro5 marshal call", S.serializers["marshal"].dumpsCall("o","m",(1,),{}))
print("accepted: any serializer id in serializers_by_id:", sorted(S.serializers_by_id))
# what a Pyro5 client does with exception classes
for cls in ["Pyro4.errors.NamingError", "Pyro5.errors.NamingError", "builtins.ValueError", "ValueError", "Pyro5.errors.Nope", "sqlite3.OperationalError", "exceptions.KeyError", "mymod.MyError"]:
    d = {"__class__": cls, "__exception__": True, "args": ["t"], "attributes": {}}
    try: v = S.SerializerBase.dict_to_class(d); print("dict_to_class", cls, "->", type(v).__module__ + "." + type(v).__name__)
    except Exception as x: print("dict_to_class", cls, "-> raises", type(x).__name__, x)
