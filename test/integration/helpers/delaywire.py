"""A wire with a fixed one-way delay between two interfaces of a Mininet host, both directions.

Mininet's TCLink delay needs the kernel's netem qdisc, which this machine's kernel does not have (and cannot
load), so the link-latency test puts this in the middle of a switch-to-switch link instead: every frame that
arrives on one interface (LLDP included, which a real bridge would not pass) leaves by the other `delay_ms`
later, in arrival order.

usage: delaywire.py IFACE_A IFACE_B DELAY_MS      (runs until killed)
"""
import heapq
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_PROMISC = 1
PACKET_OUTGOING = 4


def open_raw(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    # Frames for other MACs (the switches' LLDP, hosts' unicast) must reach us too.
    mreq = struct.pack("iHH8s", socket.if_nametoindex(ifname), PACKET_MR_PROMISC, 0, b"")
    s.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq)
    s.setblocking(False)
    return s


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: delaywire.py IFACE_A IFACE_B DELAY_MS")
    a, b = open_raw(sys.argv[1]), open_raw(sys.argv[2])
    delay = float(sys.argv[3]) / 1000.0
    if not 0 <= delay <= 10:
        sys.exit("DELAY_MS: must be 0..10000")
    peer = {a: b, b: a}
    due = []  # (time to send, sequence, socket, frame)
    seq = 0
    print("delaywire %s <-> %s, %g ms" % (sys.argv[1], sys.argv[2], delay * 1000), flush=True)
    while True:
        timeout = max(0.0, due[0][0] - time.monotonic()) if due else None
        readable, _, _ = select.select([a, b], [], [], timeout)
        for s in readable:
            while True:
                try:
                    frame, addr = s.recvfrom(65535)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING:  # our own sends, seen on the way out
                    continue
                heapq.heappush(due, (time.monotonic() + delay, seq, peer[s], frame))
                seq += 1
        now = time.monotonic()
        while due and due[0][0] <= now:
            _, _, out, frame = heapq.heappop(due)
            try:
                out.send(frame)
            except OSError:
                pass  # a full or downed interface drops the frame, as a wire would


if __name__ == "__main__":
    main()
