/**
 * What of the topology graph a QoS path covers (web/src/topologymodel.ts): the link between two hops is hop
 * i's out-port and hop i+1's in-port, drawn in the path's direction whichever way the topology lists it, and
 * what the graph lacks is named, never thrown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  linkEdgeId,
  linkKey,
  pathHighlight,
  utilisationColour,
  type PathHop,
} from '../../web/src/topologymodel.js';

const S1 = '00:00:00:00:00:00:00:01';
const S2 = '00:00:00:00:00:00:00:02';
const S3 = '00:00:00:00:00:00:00:03';
const hop = (sw: string, inPort: number, outPort: number): PathHop => ({
  switch: sw,
  'in-port': inPort,
  'out-port': outPort,
});
const link = (a: string, ap: number, b: string, bp: number) => ({
  src: { dpid: a, port: ap },
  dst: { dpid: b, port: bp },
});

test('linkKey: one key per link, whichever end comes first', () => {
  const a = { dpid: S1, port: 2 };
  const b = { dpid: S2, port: 3 };
  assert.equal(linkKey(a, b), linkKey(b, a));
  assert.equal(linkKey(a, b), `${S1}/2-${S2}/3`);
  assert.equal(linkEdgeId(b, a), `link:${S1}/2-${S2}/3`);
  assert.notEqual(linkKey(a, b), linkKey(a, { dpid: S2, port: 4 }));
});

test('pathHighlight: the switches and the link between the hops, forward as the topology lists it', () => {
  const hl = pathHighlight([hop(S1, 1, 2), hop(S2, 2, 1)], new Set([S1, S2]), [link(S1, 2, S2, 2)]);
  assert.deepEqual(hl, {
    nodes: [S1, S2],
    edges: [{ id: `link:${S1}/2-${S2}/2`, forward: true }],
    missing: [],
  });
});

test('pathHighlight: a link the topology lists from the other end runs backwards', () => {
  const hl = pathHighlight([hop(S1, 1, 2), hop(S2, 2, 3), hop(S3, 2, 1)], new Set([S1, S2, S3]), [
    link(S2, 2, S1, 2),
    link(S2, 3, S3, 2),
  ]);
  assert.deepEqual(hl.edges, [
    { id: `link:${S1}/2-${S2}/2`, forward: false },
    { id: `link:${S2}/3-${S3}/2`, forward: true },
  ]);
  assert.deepEqual(hl.nodes, [S1, S2, S3]);
  assert.deepEqual(hl.missing, []);
});

test('pathHighlight: a switch or link the graph lacks is named, the rest still drawn', () => {
  // S2 is not in the graph (gone, or not discovered), and so are its links.
  const hl = pathHighlight([hop(S1, 1, 2), hop(S2, 2, 3), hop(S3, 2, 1)], new Set([S1, S3]), []);
  assert.deepEqual(hl.nodes, [S1, S3]);
  assert.deepEqual(hl.edges, []);
  assert.deepEqual(hl.missing, [
    `no link from ${S1} port 2 to ${S2} port 2`,
    `switch ${S2} is not in the topology`,
    `no link from ${S2} port 3 to ${S3} port 2`,
  ]);
});

test('pathHighlight: a link between the switches but on other ports is not the path (re-routed)', () => {
  const hl = pathHighlight([hop(S1, 1, 3), hop(S2, 3, 1)], new Set([S1, S2]), [link(S1, 2, S2, 2)]);
  assert.deepEqual(hl.edges, []);
  assert.deepEqual(hl.missing, [`no link from ${S1} port 3 to ${S2} port 3`]);
});

test('pathHighlight: no hops draws nothing; one hop only its switch; a switch twice is one node', () => {
  assert.deepEqual(pathHighlight([], new Set([S1]), []), { nodes: [], edges: [], missing: [] });
  assert.deepEqual(pathHighlight([hop(S1, 1, 2)], new Set([S1]), []), {
    nodes: [S1],
    edges: [],
    missing: [],
  });
  const twice = pathHighlight([hop(S1, 1, 2), hop(S2, 2, 3), hop(S1, 3, 4)], new Set([S1, S2]), [
    link(S1, 2, S2, 2),
    link(S2, 3, S1, 3),
  ]);
  assert.deepEqual(twice.nodes, [S1, S2]);
  assert.deepEqual(
    twice.edges.map((e) => e.forward),
    [true, true],
  );
});

test('linkKey: parallel links between the same switches, and a loop on one switch, stay apart', () => {
  const k1 = linkKey({ dpid: S1, port: 1 }, { dpid: S2, port: 1 });
  const k2 = linkKey({ dpid: S1, port: 2 }, { dpid: S2, port: 2 });
  const loop = linkKey({ dpid: S1, port: 1 }, { dpid: S1, port: 2 });
  assert.equal(new Set([k1, k2, loop]).size, 3);
  assert.equal(loop, linkKey({ dpid: S1, port: 2 }, { dpid: S1, port: 1 }));
});

test('utilisationColour: green when idle, amber half way, red when full', () => {
  assert.equal(utilisationColour(0), 'hsl(120, 75%, 42%)');
  assert.equal(utilisationColour(0.5), 'hsl(60, 75%, 42%)');
  assert.equal(utilisationColour(1), 'hsl(0, 75%, 42%)');
});

test('utilisationColour: over 100 % stays red, below 0 green; unmeasured (null, NaN) grey', () => {
  assert.equal(utilisationColour(3.5), utilisationColour(1));
  assert.equal(utilisationColour(-0.2), utilisationColour(0));
  assert.equal(utilisationColour(null), '#8c959f');
  assert.equal(utilisationColour(undefined), '#8c959f');
  assert.equal(utilisationColour(Number.NaN), '#8c959f');
});
