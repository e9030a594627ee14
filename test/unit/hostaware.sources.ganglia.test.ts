import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError, parseGangliaXml } from '../../src/apps/hostaware/sources/index.js';
import { GMETAD_XML, GMOND_XML } from './hostaware.sources.fixtures.js';

const opts = { source: 'g1' };

function throwsParse(text: string, where: RegExp, reason: RegExp, o: object = {}) {
  assert.throws(
    () => parseGangliaXml(text, { ...opts, ...o }),
    (err: unknown) => {
      assert.ok(err instanceof ParseError, String(err));
      assert.equal(err.format, 'ganglia-xml');
      assert.match(err.where, where);
      assert.match(err.reason, reason);
      return true;
    },
  );
}

test('gmond XML: hosts, numeric metrics, string facts, units and report times', () => {
  const snap = parseGangliaXml(GMOND_XML, opts);
  assert.equal(snap.source, 'g1');
  assert.deepEqual(
    snap.hosts.map((h) => [h.name, h.ip, h.cluster, h.domain, h.reported]),
    [
      ['node1.lab.example', '192.168.1.10', 'unspecified', 'lab.example', 1764921595000],
      ['h1', '10.0.0.1', 'unspecified', undefined, 1764921598000],
    ],
  );
  assert.deepEqual(snap.hosts[0].facts, { location: 'rack1', os_name: 'Linux', machine_type: 'x86_64' });
  const byName = new Map(snap.samples.filter((s) => s.host === 'node1.lab.example').map((s) => [s.name, s]));
  for (const m of ['load_one', 'load_five', 'cpu_user', 'cpu_idle', 'mem_free', 'mem_total', 'disk_free']) {
    assert.ok(byName.has(m), m);
  }
  for (const m of ['bytes_in', 'bytes_out', 'pkts_in', 'pkts_out', 'proc_run', 'cpu_num', 'boottime']) {
    assert.ok(byName.has(m), m);
  }
  assert.ok(!byName.has('os_name'));
  const load = byName.get('load_one')!;
  assert.equal(load.value, 0.52);
  assert.equal(load.units, undefined, 'a blank UNITS is no unit');
  assert.equal(load.at, (1764921600 - 10) * 1000, 'LOCALTIME - TN');
  assert.equal(load.tn, 10);
  assert.equal(load.tmax, 70);
  assert.equal(load.stale, false);
  assert.equal(byName.get('mem_free')!.units, 'KB');
  assert.equal(byName.get('disk_free')!.value, 41.235);
  assert.equal(byName.get('proc_run')!.value, 2);
});

test('gmond XML: TN > 4 * TMAX is stale; a spoofed gmetric host is its own host', () => {
  const snap = parseGangliaXml(GMOND_XML, opts);
  const old = snap.samples.find((s) => s.name === 'old_metric')!;
  assert.equal(old.stale, true);
  const h1 = snap.samples.filter((s) => s.host === 'h1');
  assert.deepEqual(
    h1.map((s) => [s.name, s.value, s.ip, s.stale]),
    [['bytes_out', 2500000, '10.0.0.1', false]],
  );
});

test('gmetad XML: nested grids, clusters, summaries skipped, entities decoded', () => {
  const snap = parseGangliaXml(GMETAD_XML, opts);
  assert.deepEqual(
    snap.hosts.map((h) => [h.name, h.cluster]),
    [
      ['web1', 'web'],
      ['db1', 'db'],
    ],
  );
  assert.deepEqual(
    snap.samples.map((s) => [s.host, s.name, s.value, s.at]),
    [
      ['web1', 'load_one', 3.5, 1764921590000],
      ['db1', 'load_one', 0.2, 1764921600000],
    ],
  );
});

test('gmetad interactive answer: a HOST alone ages from REPORTED + TN', () => {
  const xml = `<GANGLIA_XML VERSION="3.7.2" SOURCE="gmetad"><HOST NAME="a" IP="" REPORTED="100" TN="5">
    <METRIC NAME="x" VAL="-1.5e3" TYPE="double" TN="3" TMAX="10"/></HOST></GANGLIA_XML>`;
  const snap = parseGangliaXml(xml, opts);
  assert.equal(snap.hosts[0].ip, undefined);
  assert.deepEqual(
    snap.samples.map((s) => [s.value, s.at]),
    [[-1500, 102000]],
  );
});

test('gmond XML: nan VAL is NaN, not 0', () => {
  const xml = `<GANGLIA_XML><CLUSTER NAME="c" LOCALTIME="1"><HOST NAME="a" IP="1.1.1.1" REPORTED="1">
    <METRIC NAME="x" VAL="nan" TYPE="float"/><METRIC NAME="y" VAL="-nan" TYPE="double"/></HOST></CLUSTER></GANGLIA_XML>`;
  const snap = parseGangliaXml(xml, opts);
  assert.ok(snap.samples.every((s) => Number.isNaN(s.value)));
});

test('gmond XML: garbage is a ParseError naming the element, attribute or line', () => {
  throwsParse('', /input|line/, /no root element/);
  throwsParse('HTTP/1.0 200 OK\r\n\r\nhello', /line 1/, /unexpected text/);
  throwsParse(GMOND_XML.slice(0, GMOND_XML.length / 2), /line \d+/, /truncated|cut off/);
  throwsParse(
    GMOND_XML.slice(0, GMOND_XML.indexOf('<METRIC NAME="cpu_user"') + 30),
    /line 26/,
    /<METRIC> is cut off/,
  );
  throwsParse('<html><body>502</body></html>', /line 1/, /unexpected text '502'/);
  throwsParse('<html></html>', /<html>/, /root element is not GANGLIA_XML/);
  throwsParse('<GANGLIA_XML><FOO/></GANGLIA_XML>', /<FOO>/, /unexpected element/);
  throwsParse(
    '<GANGLIA_XML><CLUSTER NAME="c"/></GANGLIA_XML>',
    /CLUSTER\[c\]/,
    /missing attribute LOCALTIME/,
  );
  throwsParse('<GANGLIA_XML><HOST IP="1" REPORTED="1"/></GANGLIA_XML>', /HOST/, /missing attribute NAME/);
  throwsParse(
    '<GANGLIA_XML><HOST NAME="a" REPORTED="1"/></GANGLIA_XML>',
    /HOST\[a\]/,
    /missing attribute IP/,
  );
  throwsParse(
    '<GANGLIA_XML><HOST NAME="a" IP="" REPORTED="x"/></GANGLIA_XML>',
    /HOST\[a\].*REPORTED/,
    /not a count/,
  );
  throwsParse(
    '<GANGLIA_XML><HOST NAME="a" IP="" REPORTED="1"><METRIC NAME="load_one" VAL="high" TYPE="float"/></HOST></GANGLIA_XML>',
    /HOST\[a\] METRIC\[load_one\].*VAL/,
    /'high' is not a number for TYPE float/,
  );
  throwsParse(
    '<GANGLIA_XML><HOST NAME="a" IP="" REPORTED="1"><METRIC NAME="m" TYPE="float"/></HOST></GANGLIA_XML>',
    /METRIC\[m\]/,
    /missing attribute VAL/,
  );
  throwsParse(
    '<GANGLIA_XML><HOST NAME="a" IP="" REPORTED="1"></GANGLIA_XML>',
    /line 1/,
    /does not close <HOST>/,
  );
  throwsParse('<GANGLIA_XML/><GANGLIA_XML/>', /line 1/, /second root/);
  throwsParse('<GANGLIA_XML A="1" A="2"/>', /line 1/, /repeats attribute A/);
  throwsParse('<GANGLIA_XML A="x & y"/>', /line 1/, /bad entity/);
  throwsParse('<GANGLIA_XML A=noquote/>', /line 1/, /malformed attribute/);
  throwsParse('<!DOCTYPE GANGLIA_XML [ <!ELEMENT x> ', /line 1/, /unterminated DOCTYPE/);
});

test('gmond XML: size and depth are bounded', () => {
  throwsParse(GMOND_XML, /input/, /over the limit of 100/, { maxBytes: 100 });
  const deep = '<GANGLIA_XML>' + '<GRID NAME="g">'.repeat(40) + '</GRID>'.repeat(40) + '</GANGLIA_XML>';
  throwsParse(deep, /line 1/, /nested deeper than 32/);
  // A large but legal dump: 2,000 hosts x 20 metrics parses.
  const metrics = Array.from(
    { length: 20 },
    (_, i) => `<METRIC NAME="m${i}" VAL="${i}" TYPE="float" TN="1" TMAX="60"/>`,
  ).join('');
  const hosts = Array.from(
    { length: 2000 },
    (_, i) => `<HOST NAME="n${i}" IP="10.0.${i >> 8}.${i & 255}" REPORTED="1">${metrics}</HOST>\n`,
  ).join('');
  const snap = parseGangliaXml(
    `<GANGLIA_XML><CLUSTER NAME="c" LOCALTIME="2">\n${hosts}</CLUSTER></GANGLIA_XML>`,
    opts,
  );
  assert.equal(snap.hosts.length, 2000);
  assert.equal(snap.samples.length, 40000);
});

test('gmond XML: names and values that share a length and first letters stay apart', () => {
  const snap = parseGangliaXml(
    '<GANGLIA_XML><CLUSTER NAME="c" LOCALTIME="9">\n' +
      '<HOST NAME="ab1" IP="10.0.0.1" REPORTED="9"><METRIC NAME="mx1" VAL="1" TYPE="float"/>' +
      '<METRIC NAME="mx2" VAL="2" TYPE="float"/><METRIC NAME="mx1x" VAL="3" TYPE="float"/></HOST>\n' +
      '<HOST NAME="ab2" IP="10.0.0.2" REPORTED="9"><METRIC NAME="mx2" VAL="4" TYPE="double"/></HOST>\n' +
      '</CLUSTER></GANGLIA_XML>',
    opts,
  );
  assert.deepEqual(
    snap.samples.map((s) => `${s.host} ${s.name}=${s.value}`),
    ['ab1 mx1=1', 'ab1 mx2=2', 'ab1 mx1x=3', 'ab2 mx2=4'],
  );
});
