#!/usr/bin/python3
"""Capture golden Pyro4 4.82 wire frames for gyro's wire package tests.

Run with the system python (the only one that has Pyro4):

    /usr/bin/python3 wire/testdata/capture.py [outdir]

It starts the Pyro4 test echo server object in real Pyro4 daemons on
127.0.0.1, talks to them with real Pyro4 proxies (and, for PING and
CONNECTFAIL, raw sockets) through a recording TCP relay, splits each
direction of every connection into frames and writes them as *.golden hex
files. Frames that carry random data (server-made CORR, Python set order in
metadata, traceback paths) differ between runs; the Go tests only depend on
what is stable, and re-encode every frame byte for byte.
"""

import hashlib
import hmac
import os
import socket
import struct
import sys
import threading
import uuid

import Pyro4
import Pyro4.message as pm
import Pyro4.test.echoserver
from Pyro4.configuration import config

assert Pyro4.__version__ == "4.82", Pyro4.__version__

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
CORR = uuid.UUID("00112233-4455-6677-8899-aabbccddeeff")
HMAC_KEY = b"secret"
HEADER = struct.Struct("!4sHHHHiHHHH")
TIMEOUT = 10.0

written = []


def split_frames(stream):
    """Cuts a byte stream into whole Pyro frames (header + annotations + data)."""
    frames = []
    while stream:
        tag, ver, typ, flags, seq, dlen, ser, alen, _, _ = HEADER.unpack_from(stream)
        assert tag == b"PYRO" and ver == 48, stream[:24]
        n = HEADER.size + alen + dlen
        assert len(stream) >= n, "truncated frame"
        frames.append(stream[:n])
        stream = stream[n:]
    return frames


def describe(frame):
    tag, ver, typ, flags, seq, dlen, ser, alen, _, ck = HEADER.unpack_from(frame)
    return "type %d flags 0x%02x seq %d ser %d data %d ann %d cksum 0x%04x" % (typ, flags, seq, ser, dlen, alen, ck)


def save(name, frame, comment, want_type, want_flags):
    typ, flags = HEADER.unpack_from(frame)[2:4]
    assert (typ, flags) == (want_type, want_flags), (name, typ, flags)
    lines = ["# " + c for c in comment.splitlines()]
    lines.append("# " + describe(frame))
    lines.append("# captured from Pyro4 %s by testdata/capture.py" % Pyro4.__version__)
    for i in range(0, len(frame), 16):
        lines.append(" ".join("%02x" % b for b in frame[i:i + 16]))
    with open(os.path.join(OUT, name + ".golden"), "w") as f:
        f.write("\n".join(lines) + "\n")
    written.append(name)


class Relay(object):
    """Accepts one connection on 127.0.0.1 and forwards it to target, recording both directions."""

    def __init__(self, target):
        self.target = target
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(1)
        self.lsock.settimeout(TIMEOUT)
        self.port = self.lsock.getsockname()[1]
        self.c2s = bytearray()
        self.s2c = bytearray()
        self.threads = []
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)

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
        """Waits until both directions are closed and returns (client frames, server frames)."""
        # The accept thread adds the pump threads: join it first, then all.
        self.threads[0].join(TIMEOUT)
        for t in self.threads:
            t.join(TIMEOUT)
            assert not t.is_alive(), "relay did not finish"
        return split_frames(bytes(self.c2s)), split_frames(bytes(self.s2c))


def start_daemon(hmac_key=None):
    daemon = Pyro4.Daemon(host="127.0.0.1", port=0)
    if hmac_key:
        daemon._pyroHmacKey = hmac_key
    daemon.register(Pyro4.test.echoserver.EchoServer(), "test.echoserver")
    threading.Thread(target=daemon.requestLoop, daemon=True).start()
    return daemon


def proxy_via(relay, serializer, hmac_key=None):
    p = Pyro4.Proxy("PYRO:test.echoserver@127.0.0.1:%d" % relay.port)
    p._pyroSerializer = serializer
    p._pyroTimeout = TIMEOUT
    if hmac_key:
        p._pyroHmacKey = hmac_key
    return p


def recv_frame(sock):
    buf = b""
    while len(buf) < HEADER.size:
        chunk = sock.recv(HEADER.size - len(buf))
        assert chunk, "eof in header"
        buf += chunk
    _, _, _, _, _, dlen, _, alen, _, _ = HEADER.unpack(buf)
    n = HEADER.size + alen + dlen
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        assert chunk, "eof in body"
        buf += chunk
    return buf


def capture_calls(daemon, serializer):
    """CONNECT/CONNECTOK/INVOKE/RESULT with CORR, then an exception, a oneway call and a batch."""
    relay = Relay(daemon.sock.getsockname())
    with proxy_via(relay, serializer) as p:
        assert p.echo("hi") == "hi"
        try:
            p.error()
            raise AssertionError("error() did not raise")
        except ValueError:
            pass
        p.oneway_echo("hi")
        b = Pyro4.batch(p)
        b.echo(1)
        b.echo(2)
        assert list(b()) == [1, 2]
    return relay.frames()


def main():
    Pyro4.current_context.correlation_id = CORR
    daemon = start_daemon()

    for ser in ("serpent", "json"):
        c, s = capture_calls(daemon, ser)
        assert len(c) == 5 and len(s) == 4, (len(c), len(s))
        save(ser + "_connect", c[0], "%s CONNECT with METADATA, client CORR" % ser, pm.MSG_CONNECT, 0x10)
        save(ser + "_connectok", s[0], "%s CONNECTOK with metadata (method order varies per run)" % ser, pm.MSG_CONNECTOK, 0x10)
        save(ser + "_invoke", c[1], '%s INVOKE echo("hi") seq 1, client CORR' % ser, pm.MSG_INVOKE, 0)
        save(ser + "_result", s[1], "%s RESULT 'hi' seq 1, CORR echoed" % ser, pm.MSG_RESULT, 0)
        save(ser + "_invoke_error", c[2], "%s INVOKE error() seq 2" % ser, pm.MSG_INVOKE, 0)
        save(ser + "_result_exception", s[2], "%s exception RESULT (ValueError) seq 2, no CORR" % ser, pm.MSG_RESULT, 0x01)
        save(ser + "_invoke_oneway", c[3], '%s oneway INVOKE oneway_echo("hi") seq 3' % ser, pm.MSG_INVOKE, 0x04)
        save(ser + "_invoke_batch", c[4], "%s batch INVOKE echo(1), echo(2) seq 4" % ser, pm.MSG_INVOKE, 0x08)
        save(ser + "_result_batch", s[3], "%s batch RESULT [1, 2] seq 4" % ser, pm.MSG_RESULT, 0x08)

    # Item stream start: 0x21 with STRM and no CORR.
    relay = Relay(daemon.sock.getsockname())
    with proxy_via(relay, "serpent") as p:
        it = p.generator()
        assert next(it) == "one"
        it.close()
    c, s = relay.frames()
    save("serpent_result_stream", s[1], "serpent stream-start RESULT for generator(), STRM, no CORR", pm.MSG_RESULT, 0x21)

    # Compression on both sides (config is process-global).
    config.COMPRESSION = True
    try:
        relay = Relay(daemon.sock.getsockname())
        with proxy_via(relay, "serpent") as p:
            text = "compress me, " * 30
            assert p.echo(text) == text
        c, s = relay.frames()
    finally:
        config.COMPRESSION = False
    save("compressed_connectok", s[0], "serpent CONNECTOK, metadata compressed (COMPRESSION on)", pm.MSG_CONNECTOK, 0x12)
    save("compressed_invoke", c[1], 'serpent INVOKE echo("compress me, "*30), zlib payload', pm.MSG_INVOKE, 0x02)
    save("compressed_result", s[1], "serpent RESULT, zlib payload", pm.MSG_RESULT, 0x02)

    # HMAC: the vector of fact sheet section 1.4.
    hdaemon = start_daemon(HMAC_KEY)
    relay = Relay(hdaemon.sock.getsockname())
    with proxy_via(relay, "serpent", HMAC_KEY) as p:
        assert p.echo("hi") == "hi"
    c, s = relay.frames()
    inv = c[1]
    assert inv[24:46] == b"CORR\x00\x10" + CORR.bytes, inv[24:46]
    assert inv[46:52] == b"HMAC\x00\x14", inv[46:52]
    assert inv[52:72].hex() == "5695d26099080433a008095892adc9d5537eb12f", inv[52:72].hex()
    assert HEADER.unpack_from(inv)[9] == 0x358E
    save("hmac_connect", c[0], "serpent CONNECT signed with key 'secret', CORR", pm.MSG_CONNECT, 0x10)
    save("hmac_invoke", inv, 'serpent INVOKE echo("hi") seq 1 signed with key "secret" (section 1.4 vector)', pm.MSG_INVOKE, 0)
    save("hmac_result", s[1], "serpent RESULT 'hi' signed with key 'secret'", pm.MSG_RESULT, 0)
    hdaemon.shutdown()

    # HMAC over several annotations, built directly with Pyro4.message.Message:
    # the digest covers the values in ascending key order (ABCD, CORR, XUSR).
    ann = {"CORR": CORR.bytes, "XUSR": b"user data", "ABCD": b"\x00\x01\x02"}
    msg = pm.Message(pm.MSG_RESULT, b"# serpent utf-8 python3.2\nNone", 1, 0, 7, annotations=ann, hmac_key=HMAC_KEY)
    mac = hmac.new(HMAC_KEY, msg.data, hashlib.sha1)
    for k in sorted(ann):
        mac.update(ann[k])
    assert msg.annotations["HMAC"] == mac.digest()
    save("hmac_multi_annotations", msg.to_bytes(), "RESULT from Pyro4.message.Message with CORR, XUSR, ABCD, signed with 'secret'", pm.MSG_RESULT, 0)

    # PING after a handshake, over a raw socket (Message.ping uses serializer 42 and no CORR).
    relay = Relay(daemon.sock.getsockname())
    sock = socket.create_connection(("127.0.0.1", relay.port), timeout=TIMEOUT)
    ser = Pyro4.util.get_serializer("serpent")
    data, _ = ser.serializeData({"handshake": "hello", "object": "test.echoserver"})
    sock.sendall(pm.Message(pm.MSG_CONNECT, data, ser.serializer_id, pm.FLAGS_META_ON_CONNECT, 0,
                            annotations={"CORR": CORR.bytes}).to_bytes())
    recv_frame(sock)
    sock.sendall(pm.Message(pm.MSG_PING, b"ping", 42, 0, 0).to_bytes())
    recv_frame(sock)
    sock.close()
    c, s = relay.frames()
    save("ping", c[1], "PING as Message.ping sends it: serializer 42, payload 'ping', no annotations", pm.MSG_PING, 0)
    save("ping_reply", s[1], "PING reply 'pong', same seq and serializer, server-made CORR", pm.MSG_PING, 0)

    # CONNECTFAIL: a CONNECT whose checksum is wrong gets a marshal reason.
    relay = Relay(daemon.sock.getsockname())
    sock = socket.create_connection(("127.0.0.1", relay.port), timeout=TIMEOUT)
    bad = bytearray(pm.Message(pm.MSG_CONNECT, data, ser.serializer_id, 0, 0).to_bytes())
    bad[23] ^= 0xFF
    sock.sendall(bytes(bad))
    recv_frame(sock)
    sock.close()
    c, s = relay.frames()
    save("connectfail", s[0], "CONNECTFAIL for a bad header checksum: marshal 'header checksum mismatch'", pm.MSG_CONNECTFAIL, 0)

    daemon.shutdown()
    print("wrote %d golden frames to %s" % (len(written), OUT))


if __name__ == "__main__":
    main()
