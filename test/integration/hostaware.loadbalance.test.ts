/**
 * The load-balance action on a real network: a real `sluice controller` driven over its API, Mininet linear,3
 * over OpenFlow 1.3, h2 and h3 each running a TCP server on port 8080 that answers its own name, and a gmond on
 * loopback reporting their load_one (injected with `gmetric --spoof`). A loadbalance rule on the pool makes
 * 10.0.0.100:8080 a service address in forwarding whose new connections go to the less-loaded host; when the
 * loads swap, new connections go to the other; deleting the rule removes the service.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor, type MininetNet } from './harness/index.js';
import { gmondSource, startHandNet, type HandApi, type HandMsg, type HandNet } from './helpers/hostaware.js';

let hn: HandNet;
let net: MininetNet;
let hand: HandApi;

const PY = '/usr/bin/python3';
/** Answers every connection with the host's name (argv[1]) and closes it. */
const NAME_SERVER = [
  'import socket, sys',
  's = socket.create_server(("0.0.0.0", 8080), reuse_port=True)',
  'while True:',
  '    c, _ = s.accept()',
  '    c.sendall(sys.argv[1].encode() + b"\\n")',
  '    c.close()',
].join('\n');
const ASK = 'import socket; c = socket.create_connection(("10.0.0.100", 8080), timeout=2); print(c.makefile().readline().strip())'; // prettier-ignore

/** A new connection from h1 to the service: who answered, or undefined when nothing did. */
async function ask(): Promise<string | undefined> {
  const r = await net.exec('h1', [PY, '-c', ASK], { timeoutMs: 10_000 });
  return r.code === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : undefined;
}

before(async () => {
  hn = await startHandNet('linear,3', 3);
  ({ net, hand } = hn);
  for (const h of ['h2', 'h3']) {
    await net.bg(h, [PY, '-c', NAME_SERVER, h]);
    await waitFor(async () => (await net.exec(h, ['sh', '-c', 'ss -ltn | grep -q :8080'])).code === 0, {
      what: `the name server on ${h}`,
    });
  }
});

after(() => hn?.stop());

test('loadbalance: new connections to 10.0.0.100:8080 go to the less-loaded of h2, h3 and follow a swap', async (t) => {
  const g = await gmondSource(hand, t, 'g-lb');
  const loads = async (h2: number, h3: number) => {
    await g.gmetric('load_one', h2, { spoof: '10.0.0.2:h2' });
    await g.gmetric('load_one', h3, { spoof: '10.0.0.3:h3' });
  };
  await loads(0.5, 4);
  assert.equal(await ask(), undefined, 'the service answers before any rule made it');
  const start = await hand.lastSeq();
  const rule = await hand.rule(t, {
    name: 'lb',
    // Every host gmond reports (h2, h3) holds the service while the rule is met.
    host: `cluster:${g.cluster}`,
    conditions: [{ metric: 'load_one', comparator: 'gte', value: 0 }],
    action: {
      type: 'loadbalance',
      params: { service: '10.0.0.100:8080', pool: ['h2', 'h3'], metric: 'load_one' },
    },
  });
  assert.deepEqual(rule.issues, []);
  const goesTo = (host: string) => (m: HandMsg) =>
    m.type === 'ACTION' && m.message.startsWith(`service 10.0.0.100:8080: new connections go to ${host} `);
  await hand.waitMessage('lb', start, goesTo('h2'), 'the service set up on h2');
  const first = await waitFor(ask, {
    what: 'an answer from 10.0.0.100:8080',
    timeoutMs: 15_000,
    intervalMs: 200,
    detail: () => hand.transcript('lb', start),
  });
  assert.equal(first, 'h2', 'the first connection went to the more loaded host');

  const swapped = await hand.lastSeq();
  await loads(4, 0.5);
  const moved = await hand.waitMessage('lb', swapped, goesTo('h3'), 'the service moved to h3');
  assert.match(moved.message, /instead of h2$/);
  assert.equal(await ask(), 'h3', 'a new connection after the swap did not go to h3');
  assert.equal(await ask(), 'h3');

  await hand.ok('DELETE', '/api/v1/hostaware/rules/lb');
  await waitFor(async () => (await ask()) === undefined, {
    what: 'nothing to answer at 10.0.0.100:8080 once the rule is deleted',
    timeoutMs: 10_000,
  });
});
