#!/usr/bin/env bash
# Installs on a fresh Debian machine whatever Sluice needs and is missing, then installs npm packages and builds.
# Idempotent: a second run installs nothing and only rebuilds. It does not start services: the test harness and
# the demo start Open vSwitch themselves (and stop it again if they started it).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*"; }
die() {
  echo "setup: $*" >&2
  exit 1
}

# Node 20.19+ comes with the machine (CI images, nvm, NodeSource); Debian 12's own nodejs is 18, too old. 20.19 is
# the first 20 that can require() an ES module, which fastify's inject (the API tests) needs: it requires cookie 2.
command -v node >/dev/null || die "node is not installed: install Node.js 20.19 or newer (https://nodejs.org)"
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
  die "Node.js $(node --version) is too old: Sluice needs 20.19 or newer"

# openvswitch-switch: OVS (userspace datapath: no kernel module needed); mininet + iputils-ping + ethtool: test
# networks (/usr/bin/python3 has the mininet module); iperf3/tcpdump/tshark: traffic and wire checks; os-ken and
# ovs-testcontroller: peer controllers; etcd: the store's etcd backend; time: /usr/bin/time for the bench (CPU time of
# ovs-ofctl); docker.io + busybox-static: a dockerd per simulated host and the local busybox image (the agent's
# tests; /usr/bin/docker, not a newer client elsewhere on PATH); the rest: tools the scripts call (ip, ss, tc,
# pgrep, sysctl, fuser, nc; iptables: the agent's gateway rules); socat: the proxy bench's byte-level peer;
# ganglia-monitor (gmond, gmetric) + gmetad + rrdtool: host-aware networking's metric sources (the tests run their own
# gmond/gmetad on loopback and read Ganglia's RRD files through rrdtool); chromium: the dashboard's browser tests
# (driven headless by playwright-core; never a browser downloaded by npm); openssh-server + sshpass + sudo: the
# simulated transport nodes' sshd and a login that needs sudo (node provisioning over SSH; sshpass only in tests).
DEB_PACKAGES=(openvswitch-switch iptables openvswitch-testcontroller mininet iperf3 iputils-ping ethtool tshark tcpdump
  python3-os-ken etcd-server etcd-client iproute2 procps psmisc netcat-openbsd time docker.io busybox-static socat
  ganglia-monitor gmetad rrdtool chromium openssh-server sshpass sudo)
# Daemons whose Debian packages start a system instance on install: that instance would hold the default ports
# (gmond 8649, gmetad 8651/8652, sshd 22) and multicast, while the tests start their own (sshd in a namespace).
STARTED_SERVICES=(ganglia-monitor:ganglia-monitor gmetad:gmetad openssh-server:ssh)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  # Non-interactive answers: no setuid dumpcap group prompt, no iperf3 system daemon.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  echo "iperf3 iperf3/start_daemon boolean false" | $SUDO debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  # Stop and disable only the services this run just installed: someone's own gmond is theirs to keep.
  for entry in "${STARTED_SERVICES[@]}"; do
    pkg=${entry%%:*} svc=${entry#*:}
    [[ " ${missing[*]} " == *" $pkg "* ]] || continue
    say "stopping the $svc service the package started (the tests run their own)"
    $SUDO invoke-rc.d "$svc" stop >/dev/null 2>&1 || true
    if [ -d /run/systemd/system ]; then
      $SUDO systemctl disable "$svc" >/dev/null 2>&1 || true
    else
      $SUDO update-rc.d "$svc" disable >/dev/null 2>&1 || true
    fi
  done
fi
/usr/bin/python3 -c 'import mininet.net' 2>/dev/null ||
  die "/usr/bin/python3 cannot import mininet: reinstall the Debian package mininet"
[ -x /usr/share/openvswitch/scripts/ovs-ctl ] || die "ovs-ctl is missing: reinstall openvswitch-switch"

# By content, not mtime: a fresh checkout or worktree makes package-lock.json look newer than an installed tree
# (and npm ci empties node_modules first, even through a symlink another checkout shares).
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -d node_modules ] || [ "$(cat node_modules/.sluice-lock-sum 2>/dev/null)" != "$lock_sum" ]; then
  say "npm ci"
  # playwright-core drives Debian's chromium: it must not fetch browsers of its own.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
  echo "$lock_sum" >node_modules/.sluice-lock-sum
fi
say "building"
npx tsc -p tsconfig.json
# The SDK's type declarations (package.json exports sluice/client and sluice/client/node).
npx tsc -p tsconfig.client.json
# The dashboard's pure modules and their unit tests, under Node (into dist/test/unit/web/).
npx tsc -p web/tsconfig.unit.json
# The dashboard (web/) becomes static files in dist/web, which `sluice controller` serves at /ui/.
say "building the dashboard (web/ -> dist/web)"
npx tsc -p web/tsconfig.json --noEmit
npx vite build --config web/vite.config.ts --logLevel warn
