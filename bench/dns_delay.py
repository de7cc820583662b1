#!/usr/bin/env python3
"""bench/dns_delay.py LISTEN_PORT UPSTREAM_PORT DELAY_MS [DROP_SUFFIX] — a UDP DNS relay on
127.0.0.1 that holds every answer of the DNS server on 127.0.0.1:UPSTREAM_PORT for DELAY_MS
before passing it on (this kernel has no netem to add latency), and never answers a query for
a name ending in DROP_SUFFIX (it does not even forward it). Loopback only.
One plain poll loop, reading each socket dry per wakeup, with large socket buffers: the relay
must not be what limits (or loses) lookups; bench/run checks its rate with dnsperf.
Prints "ready" on stdout once listening; on SIGTERM, "relayed N dropped M" on stderr."""
import collections
import select
import signal
import socket
import sys
import time

BUFFER = 8 << 20


def qname(packet):
    """The question's name, lower case, or None for a packet that is not a query we can read."""
    labels, i = [], 12
    while i < len(packet):
        n = packet[i]
        if n == 0:
            return ".".join(labels).lower()
        if n > 63:
            return None
        labels.append(packet[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    return None


def udp_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for force, plain in ((33, socket.SO_RCVBUF), (32, socket.SO_SNDBUF)):  # SO_RCVBUFFORCE, SO_SNDBUFFORCE
        try:
            s.setsockopt(socket.SOL_SOCKET, force, BUFFER)  # past net.core.rmem_max: needs root
        except PermissionError:
            s.setsockopt(socket.SOL_SOCKET, plain, BUFFER)
    s.setblocking(False)
    return s


def main(listen_port, upstream_port, delay_ms, drop_suffix):
    delay = delay_ms / 1000
    drop_suffix = drop_suffix.lower().rstrip(".")
    front, back = udp_socket(), udp_socket()
    front.bind(("127.0.0.1", listen_port))
    back.connect(("127.0.0.1", upstream_port))
    pending = {}  # upstream id -> (client address, client id)
    due = collections.deque()  # (time, bytes, address): one delay for all, so in time order
    next_id = relayed = dropped = 0
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    poller = select.poll()
    poller.register(front, select.POLLIN)
    poller.register(back, select.POLLIN)
    print("ready", flush=True)
    while not stopping:
        timeout_ms = max(0, (due[0][0] - time.monotonic()) * 1000) if due else 100
        try:
            events = poller.poll(timeout_ms)
        except InterruptedError:
            continue
        for fd, _ in events:
            while True:  # read the socket dry
                try:
                    data, addr = (front if fd == front.fileno() else back).recvfrom(4096)
                except (BlockingIOError, InterruptedError):
                    break
                except ConnectionRefusedError:
                    continue
                if len(data) < 12:
                    continue
                if fd == front.fileno():
                    name = qname(data)
                    if drop_suffix and name is not None and name.endswith(drop_suffix):
                        dropped += 1
                        continue
                    # A fresh 16-bit ID upstream: two clients' IDs may collide.
                    for _ in range(65536):
                        next_id = (next_id + 1) & 0xFFFF
                        if next_id not in pending:
                            break
                    pending[next_id] = (addr, data[:2])
                    try:
                        back.send(next_id.to_bytes(2, "big") + data[2:])
                    except (BlockingIOError, ConnectionRefusedError):
                        pending.pop(next_id, None)
                else:
                    entry = pending.pop(int.from_bytes(data[:2], "big"), None)
                    if entry is not None:
                        relayed += 1
                        due.append((time.monotonic() + delay, entry[1] + data[2:], entry[0]))
        now = time.monotonic()
        while due and due[0][0] <= now:
            _, data, addr = due.popleft()
            try:
                front.sendto(data, addr)
            except BlockingIOError:
                pass
    print(f"relayed {relayed} dropped {dropped}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "")
