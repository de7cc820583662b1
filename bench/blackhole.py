#!/usr/bin/env python3
"""bench/blackhole.py PORT [ADDRESS] — a silent origin: accepts every connection, reads and
discards what the client sends, never answers, closes only when the client does.
Loopback only. Prints "ready" on stdout once listening."""
import asyncio
import ipaddress
import sys


async def hold(reader, writer):
    try:
        while await reader.read(65536):
            pass
    except ConnectionError:
        pass
    writer.close()


async def main(port, address):
    if not ipaddress.ip_address(address).is_loopback:
        sys.exit("blackhole: only loopback addresses are allowed")
    server = await asyncio.start_server(hold, address, port, backlog=4096)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"))
