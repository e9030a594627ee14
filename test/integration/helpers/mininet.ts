/** Scenario pieces several Mininet suites share. */
import {
  MininetNet,
  sluiceCliJson,
  waitFor,
  type OpenFlowVersionName,
  type RunningController,
} from '../harness/index.js';

/** One switch, s1, with hosts h1, h2 and h3 (10.0.0.1-3) on its ports 1-3. */
export const ONE_SWITCH_THREE_HOSTS = {
  switches: ['s1'],
  hosts: ['h1', 'h2', 'h3'],
  links: [
    ['h1', 's1'],
    ['h2', 's1'],
    ['h3', 's1'],
  ] as [string, string][],
};

/** ONE_SWITCH_THREE_HOSTS over `protocols`, controlled by `ctl`, once s1 shows in the CLI's switch list. */
export async function startOneSwitch(
  ctl: RunningController,
  protocols: OpenFlowVersionName,
  timeoutMs: number,
): Promise<MininetNet> {
  const net = await MininetNet.start({
    topo: ONE_SWITCH_THREE_HOSTS,
    protocols,
    controllerPort: ctl.openflowPort,
  });
  try {
    await waitFor(async () => (await sluiceCliJson<unknown[]>(ctl, ['switches'])).length === 1, {
      what: 'switch s1 in the CLI output',
      timeoutMs,
    });
  } catch (err) {
    await net.stop();
    throw err;
  }
  return net;
}

/** One ping from `src` to `dst` got its answer. */
export async function pingOk(net: MininetNet, src: string, dst: string): Promise<boolean> {
  return (await net.ping(src, dst, { count: 1, timeoutSec: 1 })).received > 0;
}

/** A REST call to the controller's API: status and parsed JSON body (JSON, or a form when `form`). */
export async function apiRequest(
  ctl: RunningController,
  method: string,
  path: string,
  body?: unknown,
  form = false,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${ctl.apiUrl}${path}`, {
    method,
    headers:
      body === undefined
        ? {}
        : { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

/**
 * tcpdump's view on `to` of pings from `from` (address `fromIp`) to `toIp`, once it shows `tos` (e.g.
 * 'tos 0xb8'). Capture and pings repeat until then: until tcpdump listens it sees nothing.
 */
export async function pingsSeenWithTos(
  net: MininetNet,
  from: { host: string; ip: string },
  to: { host: string; ip: string },
  tos: string,
): Promise<string> {
  return waitFor(
    async () => {
      const filter = `icmp and src ${from.ip}`;
      const dump = await net.bg(to.host, [
        'tcpdump',
        '-v',
        '-n',
        '-l',
        '-c',
        '2',
        '-i',
        `${to.host}-eth0`,
        filter,
      ]);
      await net.ping(from.host, to.ip, { count: 3, intervalSec: 0.2 });
      const out = (await dump.kill()).stdout;
      return out.includes(tos) ? out : undefined;
    },
    { what: `${tos} in tcpdump on ${to.host}`, timeoutMs: 20_000 },
  );
}
