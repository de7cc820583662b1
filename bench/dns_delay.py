#!/usr/bin/env python3
"""bench/dns_delay.py LISTEN_PORT UPSTREAM_PORT DELAY_MS [DROP_SUFFIX] — a UDP DNS relay on
127.0.0.1 that holds every answer of the DNS server on 127.0.0.1:UPSTREAM_PORT for DELAY_MS
before passing it on (this kernel has no netem to add latency), and never answers a query for
a name ending in DROP_SUFFIX (it does not even forward it). Loopback only.
Prints "ready" on stdout once listening; on SIGTERM, "relayed N dropped M" on stderr."""
import asyncio
import signal
import sys


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


class Relay:
    def __init__(self, delay_s, drop_suffix):
        self.delay_s, self.drop_suffix = delay_s, drop_suffix
        self.pending = {}  # upstream id -> (client address, client id)
        self.next_id = 0
        self.relayed = self.dropped = 0
        self.front = self.back = None

    def from_client(self, data, addr):
        if len(data) < 12:
            return
        name = qname(data)
        if self.drop_suffix and name is not None and name.endswith(self.drop_suffix):
            self.dropped += 1
            return
        # A fresh 16-bit ID upstream: two clients' IDs may collide.
        for _ in range(65536):
            self.next_id = (self.next_id + 1) & 0xFFFF
            if self.next_id not in self.pending:
                break
        else:
            return  # 65,536 queries unanswered upstream: drop this one
        self.pending[self.next_id] = (addr, data[:2])
        self.back.sendto(self.next_id.to_bytes(2, "big") + data[2:])

    def from_upstream(self, data):
        if len(data) < 12:
            return
        entry = self.pending.pop(int.from_bytes(data[:2], "big"), None)
        if entry is None:
            return
        addr, client_id = entry
        self.relayed += 1
        asyncio.get_running_loop().call_later(self.delay_s, self.front.sendto, client_id + data[2:], addr)


class Front(asyncio.DatagramProtocol):
    def __init__(self, relay):
        self.relay = relay

    def datagram_received(self, data, addr):
        self.relay.from_client(data, addr)


class Back(asyncio.DatagramProtocol):
    def __init__(self, relay):
        self.relay = relay

    def datagram_received(self, data, addr):
        self.relay.from_upstream(data)


async def main(listen_port, upstream_port, delay_ms, drop_suffix):
    loop = asyncio.get_running_loop()
    relay = Relay(delay_ms / 1000, drop_suffix.lower().rstrip("."))
    relay.front, _ = await loop.create_datagram_endpoint(lambda: Front(relay), local_addr=("127.0.0.1", listen_port))
    relay.back, _ = await loop.create_datagram_endpoint(lambda: Back(relay), remote_addr=("127.0.0.1", upstream_port))
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    print("ready", flush=True)
    await stop
    print(f"relayed {relay.relayed} dropped {relay.dropped}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else ""))
