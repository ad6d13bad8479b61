"""Serve Pyro4's benchmark object (examples/benchmark/bench.py) for gyro's
comparison: python3 pyro4server.py thread|multiplex. Prints READY <addr>."""
import sys
sys.path.insert(0, "/usr/share/doc/pyro4/examples/benchmark")
import Pyro4
import bench

Pyro4.config.SERVERTYPE = sys.argv[1] if len(sys.argv) > 1 else "thread"
Pyro4.config.SERIALIZERS_ACCEPTED = {"serpent", "marshal", "json"}
Pyro4.config.THREADPOOL_SIZE = 200
daemon = Pyro4.Daemon(host="127.0.0.1")
daemon.register(bench.bench, "example.benchmark")
print("READY %s:%d" % daemon.sock.getsockname()[:2], flush=True)
daemon.requestLoop()
