#!/usr/bin/python3
"""Mininet driver for Sluice's integration tests and demo.

Builds one topology of Open vSwitch userspace switches (datapath=user, so no kernel module is needed) wired to
remote controllers, then serves a line protocol: one JSON request per stdin line, one JSON reply per stdout line.

    request:  {"id": 7, "cmd": "pingall", "timeout": 1}
    reply:    {"id": 7, "ok": true, "result": {...}}   or   {"id": 7, "ok": false, "error": "..."}
    events:   {"event": "ready", "result": {...hosts/switches/links...}}, {"event": "stopped"}

Commands: pingall, ping, exec, bg, kill, link, switch, hosts, waitConnected, stop (see COMMANDS below).
Stdout carries the protocol only: Mininet's own logging and any child output go to stderr.
EOF on stdin, SIGTERM, SIGINT and SIGHUP all tear the network down, so a dying parent leaves nothing behind.
A state file (--state-dir/<pid>.json) names every bridge, root-namespace interface and process we made, so a
cleaner can remove them even after this process was killed with SIGKILL.

Must run as root with the system interpreter (/usr/bin/python3), which is the one that has the mininet module.
"""

import argparse
import faulthandler
import fcntl
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

# The protocol channel is a private copy of stdout; fd 1 then points at stderr so that nothing Mininet (or a
# child it spawns) prints can corrupt the protocol.
PROTO = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)
sys.stdout = sys.stderr

from mininet.log import setLogLevel, warn  # noqa: E402
from mininet.net import Mininet  # noqa: E402
from mininet.node import OVSSwitch, RemoteController  # noqa: E402
from mininet.topo import LinearTopo, Topo  # noqa: E402
from mininet.topolib import TreeTopo  # noqa: E402

OWNER_KEY = "sluice-it"  # external_ids key on every bridge we create, so a cleaner can find strays
# Without --timeout, ovs-vsctl waits forever for an ovsdb-server or ovs-vswitchd that went away (another run on a
# shared machine stopped OVS) or never applies the change: a bounded failure shows up in the log instead.
VSCTL = ("ovs-vsctl", "--timeout=30")


class InputError(Exception):
    """A request (or a command-line argument) that names a bad field."""

    def __init__(self, field, reason):
        super().__init__("%s: %s" % (field, reason))


def start_time(pid):
    """Field 22 of /proc/PID/stat (the kernel's start time), as the TypeScript cleaner reads it."""
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as f:
            stat = f.read()
        return stat[stat.rindex(")") + 2:].split(" ")[19]
    except (OSError, ValueError, IndexError):
        return None


SEND_LOCK = threading.Lock()  # the stall watchdog's thread sends too


def send(obj):
    with SEND_LOCK:
        PROTO.write(json.dumps(obj) + "\n")
        PROTO.flush()


def log(what):
    print("net.py %s: %s" % (time.strftime("%H:%M:%S"), what), file=sys.stderr, flush=True)


class StallWatch:
    """While the network is built: a phase that makes no progress for `after` seconds gets every thread's stack
    (faulthandler, which needs no GIL), the driver's process tree and `ovs-vsctl show` written to the log, and a
    "stalled" event on the protocol, so the harness can tear the attempt down and retry instead of waiting out its
    start timeout blind."""

    def __init__(self, after):
        self.after = after
        self.timer = None

    def enter(self, phase):
        self.cancel()
        if not self.after:
            return
        faulthandler.dump_traceback_later(self.after, file=sys.stderr)
        # Half a second later, so the stacks come first in the log and the event last.
        self.timer = threading.Timer(self.after + 0.5, self.fire, args=(phase,))
        self.timer.daemon = True
        self.timer.start()

    def cancel(self):
        faulthandler.cancel_dump_traceback_later()
        if self.timer:
            self.timer.cancel()
            self.timer = None

    def fire(self, phase):
        log("STALLED: no progress for %.1f s in phase: %s (stacks above)" % (self.after, phase))
        log("process tree:\n" + process_tree(os.getpid()))
        show = subprocess.run(["ovs-vsctl", "--timeout=5", "show"], capture_output=True, text=True, check=False)
        log("ovs-vsctl show (exit %d):\n%s%s" % (show.returncode, show.stdout, show.stderr))
        send({"event": "stalled", "phase": phase, "afterSec": self.after})


WATCH = StallWatch(0)


def progress(what):
    """One line per start-up phase on stderr (the harness's log file), and the stall watchdog re-armed for it."""
    log(what)
    WATCH.enter(what)


def process_tree(root):
    """`ps` lines of root and its descendants (Mininet's node shells run in their own sessions, but stay children)."""
    out = subprocess.run(["ps", "-eo", "pid,ppid,stat,wchan:24,etimes,args"], capture_output=True, text=True,
                         check=False).stdout.splitlines()
    keep, rows = {root}, []
    for line in out[1:]:
        f = line.split(None, 2)
        rows.append((int(f[0]), int(f[1]), line))
    for _ in range(5):  # a few generations: shell -> command -> its children
        keep |= {pid for pid, ppid, _ in rows if ppid in keep}
    return "\n".join([out[0]] + [line for pid, _, line in rows if pid in keep])


# ---------------------------------------------------------------- topologies


class RingTopo(Topo):
    """N switches in a cycle, one host on each (the loop tests a controller's topology handling)."""

    def build(self, n=4):
        switches = [self.addSwitch("s%d" % i) for i in range(1, n + 1)]
        for i, sw in enumerate(switches, start=1):
            self.addLink(self.addHost("h%d" % i), sw)
        for i in range(n):
            if n > 2 or i == 0:  # two switches: one link, not a doubled pair
                self.addLink(switches[i], switches[(i + 1) % n])


class JsonTopo(Topo):
    """{"switches": ["s1", {"name": "s2", "dpid": "2"}], "hosts": ["h1", {"name": "h2", "ip": "10.0.0.2/8",
    "mac": "00:00:00:00:00:02"}], "links": [["h1", "s1"], {"a": "s1", "b": "s2"}]}"""

    def build(self, spec=None):
        spec = spec or {}
        for field in ("switches", "hosts", "links"):
            if not isinstance(spec.get(field, []), list):
                raise InputError("topo." + field, "must be a list")
        names = set()
        for i, sw in enumerate(spec.get("switches", [])):
            name, opts = node_spec(sw, "topo.switches[%d]" % i, ("dpid",))
            self.addSwitch(name, **opts)
            names.add(name)
        for i, h in enumerate(spec.get("hosts", [])):
            name, opts = node_spec(h, "topo.hosts[%d]" % i, ("ip", "mac", "defaultRoute"))
            self.addHost(name, **opts)
            names.add(name)
        for i, link in enumerate(spec.get("links", [])):
            field = "topo.links[%d]" % i
            if isinstance(link, list) and len(link) == 2:
                a, b = link
            elif isinstance(link, dict):
                a, b = link.get("a"), link.get("b")
            else:
                raise InputError(field, "must be [a, b] or {a, b}")
            for end in (a, b):
                if end not in names:
                    raise InputError(field, "unknown node %r" % (end,))
            self.addLink(a, b)


def node_spec(item, field, allowed):
    if isinstance(item, str):
        item = {"name": item}
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise InputError(field, "must be a name or an object with a string name")
    if not re.fullmatch(r"[a-z][a-z0-9]{0,9}", item["name"]):
        raise InputError(field + ".name", "must be 1-10 lowercase letters/digits, starting with a letter")
    unknown = set(item) - {"name"} - set(allowed)
    if unknown:
        raise InputError(field, "unknown keys %s" % sorted(unknown))
    return item["name"], {k: v for k, v in item.items() if k != "name"}


def parse_topo(text):
    """linear,N | tree,DEPTH,FANOUT | ring,N | json:{...} | file:PATH"""
    if text.startswith("json:"):
        return JsonTopo(spec=load_json(text[5:], "--topo"))
    if text.startswith("file:"):
        with open(text[5:], encoding="utf-8") as f:
            return JsonTopo(spec=load_json(f.read(), "--topo file"))
    kind, *nums = text.split(",")
    try:
        args = [int(n) for n in nums]
    except ValueError:
        raise InputError("--topo", "numbers expected after the kind in %r" % text)
    if kind == "linear" and len(args) == 1 and 1 <= args[0] <= 64:
        return LinearTopo(k=args[0], n=1)
    if kind == "ring" and len(args) == 1 and 2 <= args[0] <= 64:
        return RingTopo(n=args[0])
    if kind == "tree" and len(args) == 2 and args[0] >= 1 and args[1] >= 1 and args[1] ** args[0] <= 64:
        return TreeTopo(depth=args[0], fanout=args[1])
    raise InputError("--topo", "expected linear,N | ring,N | tree,DEPTH,FANOUT (<= 64 hosts) | json:... | file:..., "
                     "got %r" % text)


def load_json(text, field):
    try:
        return json.loads(text)
    except ValueError as e:
        raise InputError(field, "invalid JSON (%s)" % e)


# ---------------------------------------------------------------- nodes


class TcpCheckedController(RemoteController):
    """Mininet's RemoteController checks the controller's port with `echo A | telnet -e A IP PORT` inside a node
    shell. When the controller's OpenFlow HELLO reaches telnet before the escape key does (a busy machine), telnet
    prints it, and its 0x01 bytes (xid 1, the version-bitmap element type, OpenFlow 1.0's version) make Mininet's
    Node.monitor() take the output for a "\\x01<pid>\\r\\n" marker and block reading for the rest of it forever:
    the build hung there, silent. A TCP connect checks the same thing."""

    def checkListening(self):
        try:
            socket.create_connection((self.ip, self.port), timeout=2).close()
        except OSError as e:
            warn("Unable to contact the remote controller at %s:%d (%s)\n" % (self.ip, self.port, e))


class TimedOVSSwitch(OVSSwitch):
    """Mininet's OVSSwitch with a bounded ovs-vsctl (see VSCTL)."""

    def vsctl(self, *args, **kwargs):
        return super().vsctl(*VSCTL[1:], *args, **kwargs)


def tag_bridge(sw):
    """external_ids:sluice-it=<our pid>: a cleaner finds the bridges of a driver that died."""
    sw.cmd(*VSCTL, "set", "bridge", sw.name, "external-ids:%s=%d" % (OWNER_KEY, os.getpid()))


# ---------------------------------------------------------------- the network


class Driver:
    def __init__(self, args):
        self.args = args
        self.state_path = os.path.join(args.state_dir, "%d.json" % os.getpid())
        self.background = {}  # pid -> (Popen, stdout file, stderr file)
        self.lock = threading.Lock()
        self.net = None
        self.stopped = False

    # --- state file: what a cleaner must remove if we die without stopping
    def write_state(self):
        net = self.net
        switches = [s.name for s in net.switches] if net else []
        state = {
            "pid": os.getpid(),
            "switches": switches,
            # Host-side veths die with their namespaces; switch-side ones live in the root namespace.
            "rootIntfs": sorted(i.name for s in (net.switches if net else []) for i in s.intfList() if i.name != "lo"),
            # Host and switch shells and background commands, each with its start time so a cleaner never kills a
            # process that merely reused the pid.
            "procs": [{"pid": pid, "startTime": start_time(pid)} for pid in self.pids()],
            "startTime": start_time(os.getpid()),
        }
        tmp = self.state_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(state, f)
        os.replace(tmp, self.state_path)

    def pids(self):
        net = self.net
        nodes = net.hosts + net.switches + net.controllers if net else []
        return [n.pid for n in nodes if n.pid] + list(self.background.keys())

    def acquire_machine_lock(self):
        """One Mininet network per machine: switch and host names (s1, h1) are global. Waits for the holder; the
        kernel releases the lock when its holder dies, however it dies (the fd is not inherited by children)."""
        path = os.path.join(os.path.dirname(self.args.state_dir.rstrip("/")) or ".", "mininet.lock")
        self.lock_file = open(path, "a+", encoding="utf-8")
        try:
            fcntl.flock(self.lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.lock_file.seek(0)
            send({"event": "waiting", "holder": self.lock_file.read().strip()})
            fcntl.flock(self.lock_file, fcntl.LOCK_EX)
        self.lock_file.truncate(0)
        self.lock_file.write("pid %d since %s: %s\n" % (os.getpid(), time.strftime("%H:%M:%S"), " ".join(sys.argv)))
        self.lock_file.flush()

    def build(self):
        a = self.args
        os.makedirs(a.state_dir, exist_ok=True)
        self.acquire_machine_lock()
        progress("holding the Mininet lock; building %s" % a.topo)
        topo = parse_topo(a.topo)
        self.net = Mininet(
            topo=topo,
            switch=lambda name, **kw: TimedOVSSwitch(name, datapath="user", protocols=a.protocols, **kw),
            controller=None,
            autoSetMacs=True,
            build=False,
            waitConnected=False,
        )
        for i, target in enumerate(a.controller):
            ip, port = target
            self.net.addController(TcpCheckedController("c%d" % i, ip=ip, port=port))
        if a.simulate_stall:
            # For the harness's own test: the way Mininet hung (a 0x01 byte in a node command's output).
            self.net.controllers[0].cmd("printf '\\001'")
        self.write_state()  # before build makes interfaces: a cleaner seeing a live driver leaves s*-eth* alone
        self.net.build()
        self.write_state()
        progress("hosts, switches and links made; starting the switches")
        if not a.ipv6:
            self.disable_ipv6()
        self.net.start()
        progress("switches started; tagging bridges and turning off tx checksum offload")
        for sw in self.net.switches:
            tag_bridge(sw)
        for h in self.net.hosts:
            for intf in h.intfList():
                # veth hands the userspace datapath packets with unfinished checksums: TCP breaks without this.
                h.cmd("ethtool", "-K", intf.name, "tx", "off")
        self.write_state()
        WATCH.cancel()

    def disable_ipv6(self):
        """Hosts and switch ports otherwise send router solicitations, MLD reports and DAD probes on their own:
        packets no test asked for, which reach the controller as packet-ins and make counts non-deterministic."""
        for h in self.net.hosts:
            h.cmd("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1")
        for sw in self.net.switches:
            for intf in sw.intfList():
                if intf.name != "lo":
                    subprocess.run(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % intf.name], check=False)

    def describe(self):
        net = self.net
        links = []
        for link in net.links:
            i1, i2 = link.intf1, link.intf2
            links.append({"a": i1.node.name, "aIntf": i1.name, "b": i2.node.name, "bIntf": i2.name})
        return {
            "hosts": [{"name": h.name, "ip": h.IP(), "mac": h.MAC(), "intf": h.defaultIntf().name} for h in net.hosts],
            "switches": [
                {"name": s.name, "dpid": s.dpid, "ports": {i.name: s.ports[i] for i in s.intfList() if i.name != "lo"}}
                for s in net.switches
            ],
            "links": links,
            "protocols": self.args.protocols,
            "controllers": ["%s:%d" % c for c in self.args.controller],
            "pids": self.pids(),
        }

    def stop(self):
        """Tears the network down and checks it is gone (removing what remains) while we still hold the machine
        lock: after we exit, the next network may reuse the names. Returns what could not be removed."""
        WATCH.cancel()
        with self.lock:
            if self.stopped:
                return []
            self.stopped = True
        for pid in list(self.background):
            self.kill_bg(pid)
        left = []
        if self.net:
            switches = [sw.name for sw in self.net.switches]
            intfs = [i.name for sw in self.net.switches for i in sw.intfList() if i.name != "lo"]
            pids = self.pids()
            try:
                self.net.stop()
            except Exception as e:  # keep tearing down: a half-stopped net is the thing to avoid
                print("net.py: net.stop failed: %r" % e, file=sys.stderr)
            left = remove_remains(switches, intfs, pids)
        try:
            os.unlink(self.state_path)
        except FileNotFoundError:
            pass
        return left

    # --- helpers for commands
    def node(self, req, field, kinds=("host",)):
        name = req.get(field)
        if not isinstance(name, str) or name not in self.net.nameToNode:
            raise InputError(field, "unknown node %r" % (name,))
        node = self.net.nameToNode[name]
        is_host = node in self.net.hosts
        if ("host" in kinds and is_host) or ("switch" in kinds and node in self.net.switches):
            return node
        raise InputError(field, "%s is not a %s" % (name, " or ".join(kinds)))

    def kill_bg(self, pid):
        proc, out, err = self.background.pop(pid)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # tcpdump/iperf3 flush and print their summary on SIGINT
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        result = {"pid": pid, "code": proc.returncode, "stdout": read_and_close(out), "stderr": read_and_close(err)}
        if self.net and not self.stopped:
            self.write_state()
        return result


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def remove_remains(switches, intfs, pids, timeout=10.0):
    """Polls until no bridge, root-namespace interface or process of the network is left, removing them (net.stop
    skips e.g. bridges of switches stopped by the "switch" command). Returns what is still there at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        bridges = set(subprocess.run([*VSCTL, "list-br"], capture_output=True, text=True, check=False).stdout.split())
        present = set(os.listdir("/sys/class/net"))
        left_br = [b for b in switches if b in bridges]
        left_if = [i for i in intfs if i in present]
        left_pid = [p for p in pids if alive(p)]
        left = ["bridge " + b for b in left_br] + ["interface " + i for i in left_if] + \
            ["process %d" % p for p in left_pid]
        if not left or time.monotonic() >= deadline:
            return left
        for b in left_br:
            subprocess.run([*VSCTL, "--if-exists", "del-br", b], check=False)
        for i in left_if:
            subprocess.run(["ip", "link", "del", i], check=False, stderr=subprocess.DEVNULL)
        for p in left_pid:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.1)


def read_and_close(f):
    f.seek(0)
    data = f.read().decode("utf-8", "replace")
    f.close()
    return data


def num(req, field, default, lo, hi):
    v = req.get(field, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
        raise InputError(field, "must be a number in [%s, %s]" % (lo, hi))
    return v


PING_RE = re.compile(r"(\d+) packets transmitted, (\d+) (?:packets )?received")
RTT_RE = re.compile(r"= [\d.]+/([\d.]+)/")


def ping_result(proc_out):
    m = PING_RE.search(proc_out)
    sent, received = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    rtt = RTT_RE.search(proc_out)
    return {
        "sent": sent,
        "received": received,
        "lossPct": 100.0 if sent == 0 else round(100.0 * (sent - received) / sent, 1),
        "rttAvgMs": float(rtt.group(1)) if rtt else None,
    }


def cmd_pingall(d, req):
    """{"cmd":"pingall","timeout":1} -> {lossPct, sent, received, pairs:[{src,dst,ok}]}: one ping per ordered pair,
    all pairs at once (bounded), so a full mesh costs about one timeout, not one per pair."""
    timeout = num(req, "timeout", 1, 1, 30)
    hosts = d.net.hosts
    pairs = [(s, t) for s in hosts for t in hosts if s is not t]
    results = []
    for start in range(0, len(pairs), 64):
        batch = [(s, t, s.popen(["ping", "-c1", "-W", str(int(timeout)), t.IP()])) for s, t in pairs[start:start + 64]]
        for s, t, p in batch:
            out, _ = p.communicate()
            results.append({"src": s.name, "dst": t.name, "ok": p.returncode == 0 and ping_result(out.decode())["received"] == 1})
    received = sum(1 for r in results if r["ok"])
    sent = len(results)
    return {
        "sent": sent,
        "received": received,
        "lossPct": 0.0 if sent == 0 else round(100.0 * (sent - received) / sent, 1),
        "pairs": results,
    }


def cmd_ping(d, req):
    """{"cmd":"ping","src":"h1","dst":"h2"|"10.0.0.2","count":3,"interval":0.2,"timeout":1}"""
    src = d.node(req, "src")
    dst = req.get("dst")
    if isinstance(dst, str) and dst in d.net.nameToNode:
        dst_ip = d.node(req, "dst").IP()
    elif isinstance(dst, str) and re.fullmatch(r"[0-9a-fA-F.:]+", dst):
        dst_ip = dst
    else:
        raise InputError("dst", "must be a host name or an IP address")
    count = int(num(req, "count", 1, 1, 1000))
    interval = num(req, "interval", 0.2, 0.01, 10)
    timeout = num(req, "timeout", 1, 1, 30)
    p = src.popen(["ping", "-c", str(count), "-i", str(interval), "-W", str(int(timeout)), dst_ip])
    out, err = p.communicate()
    result = ping_result(out.decode())
    result.update({"src": src.name, "dst": dst_ip, "output": out.decode() + err.decode()})
    return result


def str_args(req):
    args = req.get("args")
    if not isinstance(args, list) or not args or not all(isinstance(a, str) for a in args):
        raise InputError("args", "must be a non-empty list of strings")
    return args


def cmd_exec(d, req):
    """{"cmd":"exec","host":"h1","args":["iperf3","-c","10.0.0.2","-t","1","-J"],"timeoutMs":10000}
    -> {code, stdout, stderr, timedOut}. Runs inside the host's network namespace."""
    host = d.node(req, "host", ("host", "switch"))
    args = str_args(req)
    timeout_ms = num(req, "timeoutMs", 30000, 1, 3600000)
    p = host.popen(args)
    timed_out = False
    try:
        out, err = p.communicate(timeout=timeout_ms / 1000.0)
    except subprocess.TimeoutExpired:
        timed_out = True
        p.kill()
        out, err = p.communicate()
    return {"code": p.returncode, "stdout": out.decode("utf-8", "replace"), "stderr": err.decode("utf-8", "replace"),
            "timedOut": timed_out}


def cmd_bg(d, req):
    """{"cmd":"bg","host":"h2","args":["iperf3","-s"]} -> {pid}: a long-running process (server, tcpdump) inside the
    host; its output is kept until {"cmd":"kill","pid":..} returns it. All are killed on stop."""
    host = d.node(req, "host", ("host", "switch"))
    args = str_args(req)
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    p = host.popen(args, stdout=out, stderr=err)
    d.background[p.pid] = (p, out, err)
    d.write_state()
    return {"pid": p.pid}


def cmd_kill(d, req):
    pid = req.get("pid")
    if pid not in d.background:
        raise InputError("pid", "no background process %r (started with bg)" % (pid,))
    return d.kill_bg(pid)


def cmd_link(d, req):
    """{"cmd":"link","a":"s1","b":"s2","state":"down"|"up"}: both ends of every a<->b link."""
    a = d.node(req, "a", ("host", "switch"))
    b = d.node(req, "b", ("host", "switch"))
    state = req.get("state")
    if state not in ("up", "down"):
        raise InputError("state", "must be 'up' or 'down'")
    conns = a.connectionsTo(b)
    if not conns:
        raise InputError("b", "%s and %s are not linked" % (a.name, b.name))
    for i1, i2 in conns:
        for intf in (i1, i2):
            out = intf.ifconfig(state)
            if out.strip():
                raise RuntimeError("ifconfig %s %s: %s" % (intf.name, state, out.strip()))
    return {"intfs": [[i1.name, i2.name] for i1, i2 in conns], "state": state}


def cmd_switch(d, req):
    """{"cmd":"switch","name":"s1","action":"stop"|"start"}: stop deletes the bridge (ports kept), start re-creates
    it and it reconnects to the controllers, as Mininet's CLI `switch s1 stop|start` does."""
    sw = d.node(req, "name", ("switch",))
    action = req.get("action")
    if action == "stop":
        sw.stop(deleteIntfs=False)
    elif action == "start":
        sw.start(d.net.controllers)
        tag_bridge(sw)
    else:
        raise InputError("action", "must be 'stop' or 'start'")
    return {"name": sw.name, "action": action}


def cmd_wait_connected(d, req):
    """{"cmd":"waitConnected","timeout":10} -> {connected, switches:{s1:true,..}}; polls OVSDB is_connected."""
    timeout = num(req, "timeout", 10, 0, 600)
    deadline = time.monotonic() + timeout
    while True:
        status = {s.name: s.connected() for s in d.net.switches}
        if all(status.values()) or time.monotonic() >= deadline:
            return {"connected": all(status.values()), "switches": status}
        time.sleep(0.1)


COMMANDS = {
    "pingall": cmd_pingall,
    "ping": cmd_ping,
    "exec": cmd_exec,
    "bg": cmd_bg,
    "kill": cmd_kill,
    "link": cmd_link,
    "switch": cmd_switch,
    "hosts": lambda d, req: d.describe(),
    "waitConnected": cmd_wait_connected,
}


def serve(d):
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req_id = None
        try:
            req = json.loads(line)
            if not isinstance(req, dict):
                raise InputError("request", "must be a JSON object")
            req_id = req.get("id")
            cmd = req.get("cmd")
            if cmd == "stop":
                send({"id": req_id, "ok": True, "result": {"left": d.stop()}})
                return
            if cmd not in COMMANDS:
                raise InputError("cmd", "unknown command %r; known: %s, stop" % (cmd, ", ".join(COMMANDS)))
            send({"id": req_id, "ok": True, "result": COMMANDS[cmd](d, req)})
        except ValueError as e:
            send({"id": req_id, "ok": False, "error": "request: invalid JSON (%s)" % e})
        except Exception as e:  # report and keep serving: one bad command must not take the network down
            send({"id": req_id, "ok": False, "error": str(e) or repr(e)})


def controller_arg(text):
    m = re.fullmatch(r"([0-9.]+):(\d{1,5})", text)
    if not m or not 0 < int(m.group(2)) < 65536:
        raise argparse.ArgumentTypeError("expected IP:PORT, got %r" % text)
    return (m.group(1), int(m.group(2)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--topo", default="linear,2", help="linear,N | ring,N | tree,D,F | json:{...} | file:PATH")
    ap.add_argument("--protocols", default="OpenFlow13", choices=["OpenFlow10", "OpenFlow13", "OpenFlow10,OpenFlow13"])
    ap.add_argument("--controller", action="append", type=controller_arg, default=None,
                    help="IP:PORT of a remote controller; repeat for several (default 127.0.0.1:6653)")
    ap.add_argument("--state-dir", default="/tmp/sluice-it/mininet")
    ap.add_argument("--ipv6", action="store_true", help="keep IPv6 on (default: off on hosts and switch ports)")
    ap.add_argument("--log-level", default="warning")
    ap.add_argument("--stall-after", type=float, default=20.0, metavar="SEC",
                    help="a start-up phase without progress for SEC s dumps stacks and reports 'stalled' (0: never)")
    ap.add_argument("--simulate-stall", action="store_true", help=argparse.SUPPRESS)  # the harness's own test
    args = ap.parse_args()
    if args.stall_after < 0:
        ap.error("--stall-after: must be >= 0")
    WATCH.after = args.stall_after
    args.controller = args.controller or [("127.0.0.1", 6653)]
    setLogLevel(args.log_level)
    if os.geteuid() != 0:
        send({"event": "error", "error": "net.py must run as root"})
        sys.exit(2)

    d = Driver(args)

    def on_signal(signum, _frame):
        if d.stopped:
            return  # a teardown is under way (stdin EOF, "stop"): returning lets it finish
        d.stop()
        send({"event": "stopped", "signal": signum})
        os._exit(0)

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)
    try:
        d.build()
    except Exception as e:
        d.stop()
        send({"event": "error", "error": str(e) or repr(e)})
        sys.exit(1)
    send({"event": "ready", "result": d.describe()})
    try:
        serve(d)
    finally:
        d.stop()  # also on stdin EOF: the parent is gone
        send({"event": "stopped"})


if __name__ == "__main__":
    main()
