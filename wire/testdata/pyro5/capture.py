#!/usr/bin/python3
"""Capture golden Pyro5 5.15 (protocol 502) wire frames for gyro's wire tests.

Run with the system python and Pyro5 on the path (scripts/pyro5-deps.sh):

    PYTHONPATH=$(scripts/pyro5-deps.sh) /usr/bin/python3 wire/testdata/pyro5/capture.py [outdir]

It serves Pyro5's own test echo object (Pyro5.utils.echoserver) in a real
Pyro5 daemon on 127.0.0.1, talks to it with real Pyro5 proxies (and, for
PING and CONNECTFAIL, raw sockets built with Pyro5.protocol) through a
recording TCP relay, splits each direction into frames and writes them as
*.golden hex files. The client sets a fixed correlation id where the test
needs one; the daemon makes a random one for every request that has none
and always sends it back (FLAGS_CORR_ID on every reply), so server frames
differ between runs in those 16 bytes.
"""

import os
import socket
import struct
import sys
import threading
import uuid

import Pyro5
import Pyro5.api
import Pyro5.protocol as pp
from Pyro5 import config
from Pyro5.callcontext import current_context
from Pyro5.utils.echoserver import EchoServer

assert Pyro5.__version__ == "5.15", Pyro5.__version__

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
CORR = uuid.UUID("00112233-4455-6677-8899-aabbccddeeff")
HEADER = struct.Struct("!4sHBBHHII16sHH")
TIMEOUT = 10.0


def split_frames(stream):
    frames = []
    while stream:
        tag, ver, typ, ser, flags, seq, dlen, alen, corr, _, magic = HEADER.unpack_from(stream)
        assert tag == b"PYRO" and ver == 502 and magic == 0x4dc5, stream[:40]
        n = HEADER.size + alen + dlen
        assert len(stream) >= n, "truncated frame"
        frames.append(bytes(stream[:n]))
        stream = stream[n:]
    return frames


def describe(frame):
    tag, ver, typ, ser, flags, seq, dlen, alen, corr, _, magic = HEADER.unpack_from(frame)
    return "type %d ser %d flags 0x%02x seq %d data %d ann %d corr %s" % (typ, ser, flags, seq, dlen, alen, corr.hex())


def save(name, frame, comment, want_type, want_flags):
    typ, ser, flags = HEADER.unpack_from(frame)[2:5]
    assert (typ, flags) == (want_type, want_flags), (name, typ, flags)
    lines = ["# " + c for c in comment.splitlines()]
    lines.append("# " + describe(frame))
    lines.append("# captured from Pyro5 %s by testdata/pyro5/capture.py" % Pyro5.__version__)
    for i in range(0, len(frame), 16):
        lines.append(" ".join("%02x" % b for b in frame[i:i + 16]))
    with open(os.path.join(OUT, name + ".golden"), "w") as f:
        f.write("\n".join(lines) + "\n")


class Relay(object):
    """Accepts one connection on 127.0.0.1 and forwards it to target, recording both directions."""

    def __init__(self, target):
        self.target = target
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(1)
        self.lsock.settimeout(TIMEOUT)
        self.port = self.lsock.getsockname()[1]
        self.c2s, self.s2c = bytearray(), bytearray()
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self):
        client, _ = self.lsock.accept()
        self.lsock.close()
        server = socket.create_connection(self.target, timeout=TIMEOUT)
        client.settimeout(TIMEOUT)
        for src, dst, rec in ((client, server, self.c2s), (server, client, self.s2c)):
            t = threading.Thread(target=self._pump, args=(src, dst, rec), daemon=True)
            t.start()
            self.threads.append(t)

    @staticmethod
    def _pump(src, dst, rec):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                rec.extend(data)
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def frames(self):
        self.threads[0].join(TIMEOUT)
        for t in self.threads:
            t.join(TIMEOUT)
            assert not t.is_alive(), "relay did not finish"
        return split_frames(self.c2s), split_frames(self.s2c)


def proxy_via(relay, serializer):
    p = Pyro5.api.Proxy("PYRO:test.echoserver@127.0.0.1:%d" % relay.port)
    p._pyroSerializer = serializer
    return p


def main():
    daemon = Pyro5.api.Daemon(host="127.0.0.1", port=0)
    daemon.register(EchoServer(), "test.echoserver")
    threading.Thread(target=daemon.requestLoop, daemon=True).start()
    target = daemon.sock.getsockname()

    for ser in ("serpent", "json", "marshal", "msgpack"):
        relay = Relay(target)
        with proxy_via(relay, ser) as p:
            p.echo("hello")
            try:
                p.error()
            except ValueError:
                pass
        c, s = relay.frames()
        save(ser + "_connect", c[0], "CONNECT, serializer %s: payload {'handshake': 'hello', 'object': 'test.echoserver'}" % ser, 1, 0)
        save(ser + "_connectok", s[0], "CONNECTOK: payload {'handshake': 'hello', 'meta': {...}} (set order varies)", 2, 0x40)
        save(ser + "_invoke", c[1], "INVOKE echo('hello'): (object, method, vargs, kwargs)", 4, 0)
        save(ser + "_result", s[1], "RESULT 'hello'", 5, 0x40)
        save(ser + "_invoke_error", c[2], "INVOKE error()", 4, 0)
        save(ser + "_result_exception", s[2], "RESULT with FLAGS_EXCEPTION: ValueError dict (traceback text varies)", 5, 0x41)

    # Correlation id, a client annotation, oneway and batch.
    relay = Relay(target)
    with proxy_via(relay, "serpent") as p:
        current_context.correlation_id = CORR
        current_context.annotations = {"XYZW": b"annotation value"}
        p.oneway_echo("hi")
        current_context.annotations = {}
        batch = Pyro5.api.BatchProxy(p)
        batch.echo(1)
        batch.echo(2)
        list(batch())
        current_context.correlation_id = None
    c, s = relay.frames()
    save("corr_connect", c[0], "CONNECT with FLAGS_CORR_ID and correlation id 00112233-...", 1, 0x40)
    save("corr_connectok", s[0], "CONNECTOK echoing the correlation id", 2, 0x40)
    save("oneway_annotated", c[1], "INVOKE oneway_echo('hi'), ONEWAY|CORR_ID, client annotation XYZW", 4, 0x44)
    save("batch_invoke", c[2], "INVOKE <batch> of echo(1), echo(2): BATCH|CORR_ID", 4, 0x48)
    save("batch_result", s[1], "RESULT [1, 2] with BATCH|CORR_ID", 5, 0x48)

    # Compression: payloads over 100 bytes, zlib level 4, payload only.
    config.COMPRESSION = True
    relay = Relay(target)
    with proxy_via(relay, "serpent") as p:
        p.echo("x" * 300)
    config.COMPRESSION = False
    c, s = relay.frames()
    save("compressed_invoke", c[1], "INVOKE echo('x'*300), COMPRESSED", 4, 0x02)
    save("compressed_result", s[1], "RESULT 'x'*300, COMPRESSED", 5, 0x42)

    # PING after a handshake, over a raw socket: Pyro5 sends b"ping", serializer 42.
    relay = Relay(target)
    sock = socket.create_connection(("127.0.0.1", relay.port), timeout=TIMEOUT)
    ser = Pyro5.serializers.serializers["serpent"]
    sock.sendall(pp.SendingMessage(pp.MSG_CONNECT, 0, 0, ser.serializer_id,
                                   ser.dumps({"handshake": "hello", "object": "test.echoserver"})).data)
    recv_frame(sock)
    sock.sendall(pp.SendingMessage(pp.MSG_PING, 0, 7, 42, b"ping").data)
    recv_frame(sock)
    sock.close()
    c, s = relay.frames()
    save("ping", c[1], "PING seq 7, serializer 42, payload b'ping'", 6, 0)
    save("ping_reply", s[1], "PING reply: same seq and serializer, payload b'pong'", 6, 0x40)

    # CONNECTFAIL: unknown object in the handshake.
    relay = Relay(target)
    sock = socket.create_connection(("127.0.0.1", relay.port), timeout=TIMEOUT)
    sock.sendall(pp.SendingMessage(pp.MSG_CONNECT, 0, 3, ser.serializer_id,
                                   ser.dumps({"handshake": "hello", "object": "no.such.object"})).data)
    recv_frame(sock)
    sock.close()
    c, s = relay.frames()
    save("connectfail", s[0], "CONNECTFAIL for an unknown object: payload 'unknown object'", 3, 0x40)

    daemon.shutdown()


def recv_frame(sock):
    buf = b""
    while len(buf) < HEADER.size:
        buf += sock.recv(HEADER.size - len(buf))
    n = HEADER.size + HEADER.unpack_from(buf)[6] + HEADER.unpack_from(buf)[7]
    while len(buf) < n:
        buf += sock.recv(n - len(buf))
    return buf


if __name__ == "__main__":
    main()
