#!/usr/bin/env python3
"""A TCP echo target and a byte-verifying check through a tunnel, for the CI shell checks (loopback only).

  tcp-echo.py serve PORT            echo every connection on 127.0.0.1:PORT until killed
  tcp-echo.py check PORT BYTES      send BYTES random bytes to 127.0.0.1:PORT, read the echo back, compare SHA-256
                                    (exit 0 and print the digest when equal; exit 1 otherwise; 60 s budget)
  tcp-echo.py free-ports N          print a port P such that P .. P+N-1 are free for TCP and UDP on 127.0.0.1, chosen
                                    at random below Linux's ephemeral range (32768-60999), which other programs'
                                    outgoing sockets take ports from
"""
import hashlib
import os
import random
import socket
import socketserver
import sys
import threading


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                break
            self.request.sendall(data)


def serve(port):
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    socketserver.ThreadingTCPServer.daemon_threads = True
    with socketserver.ThreadingTCPServer(("127.0.0.1", port), Echo) as server:
        server.serve_forever()


def check(port, size):
    payload = os.urandom(size)
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.settimeout(60)

    # No half-close after sending: Go 20210922 ends the whole stream on it, and the echo still in flight with it.
    sender = threading.Thread(target=sock.sendall, args=(payload,), daemon=True)
    sender.start()
    got = hashlib.sha256()
    received = 0
    while received < size:
        data = sock.recv(65536)
        if not data:
            break
        got.update(data)
        received += len(data)
    sock.close()
    want = hashlib.sha256(payload).hexdigest()
    if received != size or got.hexdigest() != want:
        print(f"echo mismatch: sent {size} bytes, got {received} back", file=sys.stderr)
        return 1
    print(f"{size} bytes echoed, sha256 {want[:16]}")
    return 0


def free_ports(count):
    for _ in range(200):
        base = random.randrange(20000, 32768 - count)
        sockets = []
        try:
            for port in range(base, base + count):
                for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                    probe = socket.socket(socket.AF_INET, kind)
                    sockets.append(probe)
                    probe.bind(("127.0.0.1", port))
            print(base)
            return 0
        except OSError:
            continue
        finally:
            for probe in sockets:
                probe.close()
    print("no free port range found", file=sys.stderr)
    return 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        sys.exit(check(int(sys.argv[2]), int(sys.argv[3])))
    elif len(sys.argv) == 3 and sys.argv[1] == "free-ports":
        sys.exit(free_ports(int(sys.argv[2])))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
