"""Serve Pyro4's benchmark object (examples/benchmark/bench.py, the same
methods declared with Pyro5's decorators) on Pyro5's own daemon, the
reference of the comparison's Pyro5 workloads: python3 pyro5server.py
thread|multiplex, with Pyro5 5.15 on PYTHONPATH (scripts/pyro5-deps.sh).
Prints READY <addr>."""
import sys

from Pyro5 import api, config


@api.expose
class bench(object):
    def length(self, string):
        return len(string)

    def timestwo(self, value):
        return value * 2

    def bigreply(self):
        return 'BIG REPLY' * 500

    def bigarg(self, arg):
        return len(arg)

    def manyargs(self, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15):
        return a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15

    def noreply(self, arg):
        pass

    def varargs(self, *args):
        return len(args)

    def keywords(self, **args):
        return args

    def echo(self, *args):
        return args

    @api.oneway
    def oneway(self, *args):
        pass


config.SERVERTYPE = sys.argv[1] if len(sys.argv) > 1 else "thread"
config.THREADPOOL_SIZE = 200  # as pyro4server.py: every connection gets a thread
daemon = api.Daemon(host="127.0.0.1")
daemon.register(bench, "example.benchmark")
print("READY %s:%d" % daemon.sock.getsockname()[:2], flush=True)
daemon.requestLoop()
