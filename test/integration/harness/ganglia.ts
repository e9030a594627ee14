/**
 * Ganglia on loopback for the host-aware tests: a gmond with a unicast config (no multicast: the tests share a
 * machine and must not hear each other's, or a system gmond's, metrics), values injected with `gmetric
 * --spoof` for hosts that do not exist, and optionally a gmetad polling it that writes Ganglia's RRD files.
 * Both run in the foreground as managed processes (procs.ts), so the harness's cleanup and leftovers checks
 * know them; their files live in DATA_DIR/<pid>-..., removed with the owning test process.
 */
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { fetchGmondXml, queryGmetad } from '../../../src/apps/hostaware/sources/fetch.js';
import { waitFor } from '../../support/wait.js';
import { runOk } from './exec.js';
import { freePorts } from './ports.js';
import { DATA_DIR, processesWithArg, spawnManaged, type ManagedProcess } from './procs.js';

export const GMOND = '/usr/sbin/gmond';
export const GMETRIC = '/usr/bin/gmetric';
export const GMETAD = '/usr/sbin/gmetad';
export const RRDTOOL = '/usr/bin/rrdtool';

/** Where Debian (and other multiarch layouts) keep gmond's metric modules; `gmond -t` names them relatively. */
const MODULE_DIRS = [
  '/usr/lib/x86_64-linux-gnu/ganglia',
  '/usr/lib/aarch64-linux-gnu/ganglia',
  '/usr/lib64/ganglia',
  '/usr/lib/ganglia',
];

/** A UDP port free on 127.0.0.1 now (freePort is TCP; gmond's send/recv channel is UDP). */
function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => {
      const { port } = sock.address();
      sock.close(() => resolve(port));
    });
  });
}

/** Replaces the body of a top-level `name { ... }` block of a Ganglia config (their bodies hold no braces). */
function replaceBlock(conf: string, name: string, body: string[]): string {
  const re = new RegExp(`^${name} \\{[^}]*\\}`, 'm');
  if (!re.test(conf)) throw new Error(`gmond -t output has no ${name} block: cannot make a loopback config`);
  return conf.replace(re, () => `${name} {\n${body.map((l) => `  ${l}`).join('\n')}\n}`);
}

/** Ganglia attribute value quoting (names with spaces are legal cluster names). */
const q = (s: string) => `"${s.replace(/["\\]/g, '')}"`;

export interface GmetricOptions {
  /** "IP:hostname", e.g. "10.0.0.1:h1": the value is reported for that host instead of gmond's own. */
  spoof?: string;
  /** Ganglia type (default float): string, int8, uint8, int16, uint16, int32, uint32, float, double. */
  type?: string;
  units?: string;
  /** Seconds between expected reports (gmetric's default 60). */
  tmax?: number;
  /** Seconds after which gmond drops the metric if not reported again (0: never; gmetric's default). */
  dmax?: number;
}

export interface StartGmondOptions {
  /** The XML (tcp_accept_channel) port; default a free one. */
  port?: number;
  /** Cluster name in the XML (default "sluice-test"). */
  cluster?: string;
  /**
   * Seconds after a host's last report when gmond removes it (default 60): small, so a test can watch a host
   * disappear; gmond removes hosts and metrics only in cleanup passes every 10 s here.
   */
  hostDmax?: number;
}

/** What a test does to a gmond or gmetad. */
export interface DaemonControls {
  /** SIGTERM, waits for exit. Files stay (restart() works after). */
  stop(): Promise<void>;
  /** SIGKILL (a crash as far as pollers can tell). */
  kill(): Promise<void>;
  /** Starts it again on the same ports and config and waits until it answers. A gmond's metrics start empty. */
  restart(): Promise<void>;
  /** stop() and remove its files. */
  close(): Promise<void>;
}

export interface GmondInstance extends DaemonControls {
  readonly host: '127.0.0.1';
  readonly xmlPort: number;
  readonly udpPort: number;
  /** The config file (also what gmetric is pointed at). */
  readonly conf: string;
  readonly cluster: string;
  readonly proc: ManagedProcess;
  /** Injects a value with `gmetric -c conf`; returns once gmetric has sent it (not once gmond shows it). */
  gmetric(name: string, value: number | string, opts?: GmetricOptions): Promise<void>;
  /** gmond's whole XML now. */
  xml(): Promise<string>;
  /** Polls the XML until `host` reports `metric` (and `accept(value)` if given); returns the value and IP. */
  waitForMetric(
    host: string,
    metric: string,
    opts?: { accept?: (val: string) => boolean; timeoutMs?: number },
  ): Promise<{ ip: string; val: string }>;
}

/** One HOST's IP and one METRIC's VAL from Ganglia XML by regex: enough for tests, not the product's parser. */
export function findMetric(
  xml: string,
  host: string,
  metric: string,
): { ip: string; val: string } | undefined {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const hostRe = new RegExp(`<HOST NAME="${esc(host)}" IP="([^"]*)"[^>]*>([\\s\\S]*?)</HOST>`);
  const h = hostRe.exec(xml);
  if (!h) return undefined;
  const m = new RegExp(`<METRIC NAME="${esc(metric)}" VAL="([^"]*)"`).exec(h[2]);
  return m ? { ip: h[1], val: m[1] } : undefined;
}

/** The harness's own temp dirs: DATA_DIR/<pid>-<what>-XXXXXX, which cleanLeftovers removes once <pid> is gone. */
function tempDir(what: string): string {
  fs.mkdirSync(DATA_DIR, { recursive: true });
  return fs.mkdtempSync(path.join(DATA_DIR, `${process.pid}-${what}-`));
}

function moduleDir(): string | undefined {
  return MODULE_DIRS.find((d) => fs.existsSync(path.join(d, 'modcpu.so')));
}

/**
 * Waits until a just-spawned daemon answers `probe` (stopping it if it never does: a failed start leaves
 * nothing), and gives the controls both daemons share; restart() waits for the answer again.
 */
async function startDaemon(
  proc: ManagedProcess,
  dir: string,
  what: string,
  probe: () => Promise<unknown>,
): Promise<{ proc: ManagedProcess; controls: DaemonControls }> {
  const waitServing = () =>
    waitFor(
      async () => {
        if (!proc.running) throw new Error(`${proc.name} exited: ${JSON.stringify(proc.status)}`);
        await probe();
        return true;
      },
      { what, timeoutMs: 15_000, detail: () => proc.logTail(20) },
    );
  try {
    await waitServing();
  } catch (e) {
    await proc.stop();
    throw e;
  }
  const controls: DaemonControls = {
    async stop() {
      await proc.stop();
    },
    async kill() {
      await proc.kill();
    },
    async restart() {
      await proc.restart();
      await waitServing();
    },
    async close() {
      await proc.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return { proc, controls };
}

export async function startGmond(opts: StartGmondOptions = {}): Promise<GmondInstance> {
  const cluster = opts.cluster ?? 'sluice-test';
  const xmlPort = opts.port ?? (await freePorts(1))[0];
  const udpPort = await freeUdpPort();
  const dir = tempDir('gmond');
  const conf = path.join(dir, 'gmond.conf');
  const modules = moduleDir();
  // Start from gmond's own defaults (`gmond -t`: the module list and collection groups of this version) and
  // replace only the blocks that decide where it listens and sends.
  let text = await runOk(GMOND, ['-t']);
  text = replaceBlock(text, 'globals', [
    'daemonize = no',
    'setuid = no', // root in tests; switching to nobody would gain nothing and need a readable dir
    'user = nobody',
    'debug_level = 0',
    'max_udp_msg_len = 1472',
    'mute = no',
    'deaf = no',
    'allow_extra_data = yes',
    `host_dmax = ${opts.hostDmax ?? 60}`,
    'host_tmax = 20',
    'cleanup_threshold = 10',
    'gexec = no',
    // Unicast peers learn metric metadata only from these resends; gmetric sends its own with each value.
    'send_metadata_interval = 10',
    ...(modules ? [`module_dir = ${q(modules)}`] : []),
  ]);
  text = replaceBlock(text, 'cluster', [`name = ${q(cluster)}`, 'owner = "sluice"']);
  text = replaceBlock(text, 'udp_send_channel', ['host = 127.0.0.1', `port = ${udpPort}`, 'ttl = 1']);
  text = replaceBlock(text, 'udp_recv_channel', ['bind = 127.0.0.1', `port = ${udpPort}`]);
  text = replaceBlock(text, 'tcp_accept_channel', [
    'bind = 127.0.0.1',
    `port = ${xmlPort}`,
    'gzip_output = no',
  ]);
  fs.writeFileSync(conf, text);

  const { proc, controls } = await startDaemon(
    spawnManaged({ name: 'gmond', cmd: GMOND, args: ['-c', conf, '-f'] }),
    dir,
    `gmond on 127.0.0.1:${xmlPort} to serve its XML`,
    () => fetchGmondXml('127.0.0.1', xmlPort, { timeoutMs: 1000 }),
  );
  const inst: GmondInstance = {
    host: '127.0.0.1',
    xmlPort,
    udpPort,
    conf,
    cluster,
    proc,
    async gmetric(name, value, o = {}) {
      const args = ['-c', conf, '--name', name, '--value', String(value), '--type', o.type ?? 'float'];
      if (o.units !== undefined) args.push('--units', o.units);
      if (o.tmax !== undefined) args.push('--tmax', String(o.tmax));
      if (o.dmax !== undefined) args.push('--dmax', String(o.dmax));
      if (o.spoof !== undefined) args.push('--spoof', o.spoof);
      await runOk(GMETRIC, args, { timeoutMs: 10_000 });
    },
    xml: () => fetchGmondXml('127.0.0.1', xmlPort, { timeoutMs: 2000 }),
    waitForMetric(host, metric, o = {}) {
      return waitFor(
        async () => {
          const found = findMetric(await inst.xml(), host, metric);
          return found && (!o.accept || o.accept(found.val)) ? found : undefined;
        },
        {
          what: `gmond 127.0.0.1:${xmlPort} to report ${metric} of host ${host}`,
          timeoutMs: o.timeoutMs ?? 10_000,
          intervalMs: 50,
          detail: () => proc.logTail(20),
        },
      );
    },
    ...controls,
  };
  return inst;
}

export interface StartGmetadOptions {
  /** Data source name in gmetad's grid and in the RRD path (default the gmond's cluster name). */
  sourceName?: string;
  /** Seconds between gmetad's polls of the gmond, and the step of the RRD files it creates (default 1). */
  pollSeconds?: number;
  gridName?: string;
}

export interface GmetadInstance extends DaemonControls {
  readonly host: '127.0.0.1';
  readonly xmlPort: number;
  readonly interactivePort: number;
  readonly conf: string;
  /** rrd_rootdir: files are <rrdDir>/<source name>/<host name>/<metric>.rrd. */
  readonly rrdDir: string;
  readonly sourceName: string;
  readonly proc: ManagedProcess;
  /** The RRD file gmetad keeps for one host's metric (it may not exist yet). */
  rrdFile(host: string, metric: string): string;
  query(pathQuery: string): Promise<string>;
}

/** A gmetad polling one gmond, writing RRD files into a temp dir, serving XML and interactive queries. */
export async function startGmetad(
  gmond: GmondInstance,
  opts: StartGmetadOptions = {},
): Promise<GmetadInstance> {
  const sourceName = opts.sourceName ?? gmond.cluster;
  const [xmlPort, interactivePort] = await freePorts(2);
  const dir = tempDir('gmetad');
  const rrdDir = path.join(dir, 'rrds');
  fs.mkdirSync(rrdDir);
  const conf = path.join(dir, 'gmetad.conf');
  fs.writeFileSync(
    conf,
    [
      `data_source ${q(sourceName)} ${opts.pollSeconds ?? 1} 127.0.0.1:${gmond.xmlPort}`,
      `gridname ${q(opts.gridName ?? 'sluice-grid')}`,
      `rrd_rootdir ${q(rrdDir)}`,
      `xml_port ${xmlPort}`,
      `interactive_port ${interactivePort}`,
      'setuid off',
      'server_threads 2',
      'trusted_hosts 127.0.0.1',
      // Keep h1 as h1 in the RRD path (gmetad lowercases host names otherwise).
      'case_sensitive_hostnames 1',
      '',
    ].join('\n'),
  );
  // -d 1: gmetad stays in the foreground only with a debug level; the price is some chatter in its log.
  const { proc, controls } = await startDaemon(
    spawnManaged({ name: 'gmetad', cmd: GMETAD, args: ['-c', conf, '-d', '1'] }),
    dir,
    `gmetad on 127.0.0.1:${interactivePort} to answer queries`,
    () => queryGmetad('127.0.0.1', interactivePort, '/', { timeoutMs: 1000 }),
  );
  return {
    host: '127.0.0.1',
    xmlPort,
    interactivePort,
    conf,
    rrdDir,
    sourceName,
    proc,
    rrdFile: (host, metric) => path.join(rrdDir, sourceName, host, `${metric}.rrd`),
    query: (p) => queryGmetad('127.0.0.1', interactivePort, p, { timeoutMs: 2000 }),
    ...controls,
  };
}

/**
 * gmond/gmetad processes running on one of the harness's configs (under DATA_DIR), whoever started them: a
 * daemon that escaped its process group or outlived a crashed test is still found by its -c argument.
 */
export function gangliaProcesses(): { pid: number; conf: string }[] {
  let dirs: string[];
  try {
    dirs = fs.readdirSync(DATA_DIR).filter((d) => /^\d+-(gmond|gmetad)-/.test(d));
  } catch {
    return [];
  }
  return dirs.flatMap((d) => {
    const conf = path.join(DATA_DIR, d, d.includes('-gmond-') ? 'gmond.conf' : 'gmetad.conf');
    return processesWithArg(conf).map((pid) => ({ pid, conf }));
  });
}
