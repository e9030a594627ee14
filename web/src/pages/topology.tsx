/**
 * The network as a graph: switches, the links between them (coloured by utilisation, latency shown on hover
 * or selection) and hosts as a count per switch, drawn as host nodes only for the selected switch or the few
 * switches in view when zoomed in. cytoscape.js draws on a 2D canvas (headless Chromium without a GPU has no
 * WebGL), which keeps 500 switches smooth to pan. Polled every 2.5 s and updated in place: new switches are
 * placed beside a neighbour, gone ones removed, the rest keep their positions (no re-layout on a link flap).
 *
 * 10,000 hosts are never downloaded: the badges come from GET /api/v1/hosts/per-switch, the total from
 * controller summary, and an expanded switch's hosts from one page filtered by its DPID.
 */
import type {
  Core,
  ElementDefinition,
  EventObject,
  LayoutOptions,
  NodeSingular,
  StylesheetJson,
} from 'cytoscape';
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { Host, Link, LinkLoad, QosPath } from '../../../src/client/index.js';
import type { SluiceClient } from '../api.js';
import { problemOf, type Problem } from '../api.js';
import { useSession } from '../session.js';
import { radialTree } from '../graphlayout.js';
import { followLink, navigate, replaceSearch, searchParams } from '../nav.js';
import {
  linkEdgeId,
  linkKey,
  pathHighlight,
  utilisationColour,
  type PathHighlight,
} from '../topologymodel.js';
import { Figure, ProblemNote, usePoll } from '../ui.js';

const POLL_MS = 2500;
/** Hosts drawn around one expanded switch; the rest are a link to the hosts page. */
const HOSTS_PER_SWITCH = 48;
/** Zoomed in at least this far, the switches in view (at most EXPAND_IN_VIEW) show their hosts. */
const EXPAND_ZOOM = 1.2;
const EXPAND_IN_VIEW = 8;
/** Up to this many switches a force layout reads best; above it a radial tree is laid out in milliseconds. */
const FORCE_LAYOUT_MAX = 80;

interface TopologyData {
  switches: string[];
  links: Link[];
  /** Utilisation (0..1, null while unmeasured) by link key. */
  loads: Map<string, number | null>;
  hostCounts: Map<string, number>;
  hostsTotal: number;
  /** The QoS paths, or why they could not be read (QoS not running: the path picker says so). */
  qosPaths: QosPath[] | Problem;
}

async function loadTopology(client: SluiceClient): Promise<TopologyData> {
  const [switches, links, counts, loads, summary, qosPaths] = await Promise.all([
    client.switches(),
    client.links(),
    client.hostsPerSwitch(),
    client.linkLoads(),
    client.floodlight.summary(),
    client.qos.paths().catch((err: unknown) => problemOf(err)),
  ]);
  return {
    switches: switches.map((s) => s.dpid),
    links,
    loads: new Map(loads.map((l: LinkLoad) => [linkKey(l.src, l.dst), l.utilisation])),
    hostCounts: new Map(counts.map((c) => [c.dpid, c.hosts])),
    hostsTotal: summary['# hosts'] ?? 0,
    qosPaths,
  };
}

const shortDpid = (dpid: string) => dpid.replace(/^(00:)+/, '') || '0';

function formatUtilisation(u: number | null | undefined): string {
  return u === null || u === undefined ? 'not measured' : `${(u * 100).toFixed(u < 0.1 ? 2 : 1)} %`;
}

function formatLatency(ms: number | null | undefined): string {
  return ms === null || ms === undefined
    ? 'latency unknown'
    : `${ms < 10 ? ms.toFixed(2) : ms.toFixed(0)} ms`;
}

const PATH_COLOUR = '#8250df';

const STYLE: StylesheetJson = [
  {
    selector: 'node.switch',
    style: {
      shape: 'round-rectangle',
      width: 30,
      height: 20,
      'background-color': '#1f6feb',
      label: 'data(label)',
      'text-valign': 'bottom',
      'text-margin-y': 3,
      'font-size': 9,
      'text-wrap': 'wrap',
      'text-background-color': '#ffffff',
      'text-background-opacity': 0.85,
      'text-background-padding': '1px',
      'text-background-shape': 'roundrectangle',
      'min-zoomed-font-size': 6,
    },
  },
  { selector: 'node.switch.expanded', style: { 'background-color': '#0b4fb3' } },
  {
    selector: 'node.host',
    style: {
      shape: 'ellipse',
      width: 10,
      height: 10,
      'background-color': '#57606a',
      label: 'data(label)',
      'font-size': 6,
      'text-valign': 'bottom',
      'min-zoomed-font-size': 6,
    },
  },
  { selector: 'node.switch.on-path', style: { 'border-width': 3, 'border-color': PATH_COLOUR } },
  { selector: 'node:selected', style: { 'border-width': 3, 'border-color': '#d9480f' } },
  {
    selector: 'edge.link',
    style: {
      width: 3,
      'line-color': 'data(colour)',
      'curve-style': 'straight',
      'font-size': 8,
      'text-background-color': '#ffffff',
      'text-background-opacity': 0.9,
      'text-background-padding': '2px',
    },
  },
  { selector: 'edge.link.unidirectional', style: { 'line-style': 'dashed' } },
  { selector: 'edge.link:selected, edge.link.hover', style: { label: 'data(label)', width: 5 } },
  // A QoS path: thick, over the rest, arrows in its direction (the edge's own direction is the topology's).
  {
    selector: 'edge.link.on-path',
    style: {
      width: 7,
      'line-color': PATH_COLOUR,
      'line-style': 'solid',
      'target-arrow-shape': 'triangle',
      'target-arrow-color': PATH_COLOUR,
      'z-index': 10,
    },
  },
  {
    selector: 'edge.link.on-path.path-reverse',
    style: {
      'target-arrow-shape': 'none',
      'source-arrow-shape': 'triangle',
      'source-arrow-color': PATH_COLOUR,
    },
  },
  { selector: 'edge.hostlink', style: { width: 1, 'line-color': '#afb8c1', 'curve-style': 'haystack' } },
];

export interface TopologyDebug {
  switches: number;
  links: number;
  hostNodes: number;
  hostsTotal: number;
  /** ms since navigation start: the first draw with the network in it, and when it took input. */
  firstRenderMs?: number;
  interactiveMs?: number;
  /** Where a node is on the page (CSS pixels), for a test's click; undefined when it is not drawn. */
  pagePositionOf(id: string): { x: number; y: number } | undefined;
  /** A point on the page over the graph's background (no node within 20 px), for a drag that pans. */
  pagePointOfEmptySpace(): { x: number; y: number } | undefined;
  pan(): { x: number; y: number };
  nodeIds(kind: 'switch' | 'host'): string[];
  /** What is drawn as the QoS path: its switches, and its links with the switches the arrow runs between. */
  qosPath(): { nodes: string[]; edges: { id: string; from: string; to: string }[] };
}

declare global {
  interface Window {
    __sluiceTopology?: TopologyDebug;
  }
}

type Selected =
  | { kind: 'switch'; dpid: string; hosts: number; links: number }
  | { kind: 'host'; host: Host }
  | { kind: 'link'; link: Link; utilisation: number | null | undefined };

/** Places new switches beside a neighbour already placed (or at the view's centre), so nothing else moves. */
function placeNew(cy: Core, fresh: NodeSingular[]): void {
  const ext = cy.extent();
  for (const n of fresh) {
    const placed = n.neighborhood('node.switch').filter((m) => !fresh.includes(m as NodeSingular));
    const base = placed.nonempty()
      ? (placed.first() as NodeSingular).position()
      : { x: (ext.x1 + ext.x2) / 2, y: (ext.y1 + ext.y2) / 2 };
    const angle = Math.random() * 2 * Math.PI;
    n.position({ x: base.x + 60 * Math.cos(angle), y: base.y + 60 * Math.sin(angle) });
  }
}

function runLayout(cy: Core): void {
  const switches = cy.nodes('.switch');
  const links = cy.edges('.link');
  if (switches.length <= FORCE_LAYOUT_MAX) {
    const options: LayoutOptions = {
      name: 'cose',
      animate: false,
      randomize: true,
      nodeDimensionsIncludeLabels: true,
      padding: 30,
    };
    switches.union(links).layout(options).run();
  } else {
    const at = radialTree(
      switches.map((n) => n.id()),
      links.map((e) => [e.data('source') as string, e.data('target') as string] as const),
    );
    switches.positions((n) => at.get(n.id()) ?? { x: 0, y: 0 });
  }
  cy.fit(undefined, 30);
}

/** A link's latest figures, kept beside the graph: writing them into 500 edges every poll restyles them all. */
export interface LinkFigures {
  latencyMs: number | null;
  utilisation: number | null;
}

const linkLabel = (f: LinkFigures | undefined) =>
  `${formatLatency(f?.latencyMs)} · ${formatUtilisation(f?.utilisation)}`;

/**
 * Brings the graph in line with a poll's answer (new elements added in one call, edges touched only when
 * their colour changes) and refreshes `figures`; returns whether the layout was redone.
 */
function syncGraph(
  cy: Core,
  data: TopologyData,
  laidOutFor: number,
  figures: Map<string, LinkFigures>,
): boolean {
  const added: ElementDefinition[] = [];
  let freshIds: string[] = [];
  cy.batch(() => {
    const want = new Set(data.switches);
    cy.nodes('.switch').forEach((n) => {
      if (!want.has(n.id())) cy.remove(n.union(cy.nodes(`.host[switch = "${n.id()}"]`)));
    });
    for (const dpid of data.switches) {
      const hosts = data.hostCounts.get(dpid) ?? 0;
      const label = `${shortDpid(dpid)}${hosts ? `\n${hosts} host${hosts === 1 ? '' : 's'}` : ''}`;
      const n = cy.getElementById(dpid);
      if (n.nonempty()) {
        if (n.data('label') !== label) n.data({ label, hosts });
      } else {
        added.push({ group: 'nodes', data: { id: dpid, label, hosts }, classes: 'switch' });
      }
    }
    freshIds = added.map((d) => d.data.id!);
    const known = new Set([...want]);
    const links = new Map(data.links.map((l) => [linkEdgeId(l.src, l.dst), l]));
    cy.edges('.link').forEach((e) => {
      if (!links.has(e.id())) e.remove();
    });
    figures.clear();
    for (const [id, l] of links) {
      const u = data.loads.get(linkKey(l.src, l.dst)) ?? null;
      figures.set(id, { latencyMs: l.latencyMs ?? null, utilisation: u });
      const colour = utilisationColour(u);
      const classes = `link${l.direction === 'bidirectional' ? '' : ' unidirectional'}`;
      const e = cy.getElementById(id);
      if (e.nonempty()) {
        if (e.data('colour') !== colour) e.data('colour', colour);
        e.toggleClass('unidirectional', l.direction !== 'bidirectional');
      } else if (known.has(l.src.dpid) && known.has(l.dst.dpid)) {
        added.push({ group: 'edges', data: { id, source: l.src.dpid, target: l.dst.dpid, colour }, classes });
      }
    }
    cy.add(added);
  });
  const fresh = freshIds.map((id) => cy.getElementById(id) as NodeSingular);
  // A network still arriving (the graph more than half again as big as when laid out) is laid out anew;
  // a steady one only places what is new.
  const n = data.switches.length;
  if (n > 0 && (laidOutFor === 0 || n > laidOutFor * 1.5)) {
    runLayout(cy);
    return true;
  }
  placeNew(cy, fresh);
  return false;
}

/** Draws one switch's hosts (a page of them, plus `extra` if given) in a ring around it. */
function drawHosts(cy: Core, dpid: string, hosts: Host[]): void {
  const sw = cy.getElementById(dpid);
  if (sw.empty()) return;
  const c = sw.position();
  const radius = 40 + hosts.length * 1.5;
  cy.batch(() => {
    cy.remove(cy.nodes(`.host[switch = "${dpid}"]`));
    hosts.forEach((h, i) => {
      const angle = (2 * Math.PI * i) / hosts.length;
      const id = `host:${h.mac}`;
      if (cy.getElementById(id).nonempty()) return; // a host on two expanded switches: drawn once
      cy.add({
        group: 'nodes',
        data: { id, label: h.mac, switch: dpid, mac: h.mac },
        classes: 'host',
        position: { x: c.x + radius * Math.cos(angle), y: c.y + radius * Math.sin(angle) },
      });
      cy.add({
        group: 'edges',
        data: { id: `hostlink:${h.mac}`, source: id, target: dpid },
        classes: 'hostlink',
      });
    });
    sw.addClass('expanded');
  });
}

function collapseHosts(cy: Core, dpid: string): void {
  cy.remove(cy.nodes(`.host[switch = "${dpid}"]`));
  cy.getElementById(dpid).removeClass('expanded');
}

export function Topology() {
  const { client } = useSession();
  const { data, problem } = usePoll(loadTopology, POLL_MS);
  const container = useRef<HTMLDivElement>(null);
  const cyRef = useRef<Core | undefined>(undefined);
  const laidOutFor = useRef(0);
  const linkFigures = useRef(new Map<string, LinkFigures>());
  const dataRef = useRef<TopologyData | undefined>(undefined);
  dataRef.current = data;
  const [graphReady, setGraphReady] = useState(false);
  const [selected, setSelected] = useState<Selected>();
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<{ text: string; host?: Host } | undefined>();
  const [searchProblem, setSearchProblem] = useState<Problem>();
  /** The QoS path drawn: its name, as in the location's ?path= (so the QoS page can link to it). */
  const [pathName, setPathName] = useState(() => searchParams().get('path') ?? '');
  /** What the view was last fitted to for the path (fitted again only when that changes). */
  const pathFit = useRef('');
  /** Switches whose hosts are drawn, and the hosts each must include (a searched one). */
  const expanded = useRef(new Map<string, { pinned?: Host; hosts?: Host[] }>());
  const selectedSwitch = useRef<string | undefined>(undefined);
  const clientRef = useRef(client);
  clientRef.current = client;

  const expand = async (dpid: string, pinned?: Host) => {
    const cy = cyRef.current;
    if (!cy) return;
    const entry = expanded.current.get(dpid) ?? {};
    if (pinned) entry.pinned = pinned;
    expanded.current.set(dpid, entry);
    try {
      const page = await clientRef.current.hostsPage({ dpid, limit: HOSTS_PER_SWITCH });
      if (!expanded.current.has(dpid) || cyRef.current !== cy) return;
      const hosts = page.hosts;
      if (entry.pinned && !hosts.some((h) => h.mac === entry.pinned!.mac)) hosts.push(entry.pinned);
      entry.hosts = hosts;
      drawHosts(cy, dpid, hosts);
    } catch (err) {
      setSearchProblem(problemOf(err));
    }
  };

  /** Which switches show their hosts: the selected one, and the few in view when zoomed in. */
  const refreshExpansion = () => {
    const cy = cyRef.current;
    if (!cy) return;
    const want = new Set<string>();
    if (selectedSwitch.current) want.add(selectedSwitch.current);
    for (const [dpid, e] of expanded.current) if (e.pinned) want.add(dpid);
    if (cy.zoom() >= EXPAND_ZOOM) {
      const ext = cy.extent();
      const inView = cy.nodes('.switch').filter((n) => {
        const p = n.position();
        return p.x >= ext.x1 && p.x <= ext.x2 && p.y >= ext.y1 && p.y <= ext.y2 && n.data('hosts') > 0;
      });
      if (inView.length <= EXPAND_IN_VIEW) inView.forEach((n) => void want.add(n.id()));
    }
    for (const dpid of [...expanded.current.keys()]) {
      if (!want.has(dpid)) {
        expanded.current.delete(dpid);
        collapseHosts(cy, dpid);
      }
    }
    for (const dpid of want) if (!expanded.current.get(dpid)?.hosts) void expand(dpid);
  };
  const refreshRef = useRef(refreshExpansion);
  refreshRef.current = refreshExpansion;

  // The graph lives as long as the page: made once, destroyed on leaving. cytoscape.js is loaded with the
  // page (its own chunk), not with the app: the other pages do without its weight.
  useEffect(() => {
    let live = true;
    let cleanup: (() => void) | undefined;
    void import('cytoscape').then(({ default: cytoscape }) => {
      if (!live || !container.current) return;
      const cy = cytoscape({
        container: container.current,
        style: STYLE,
        minZoom: 0.05,
        maxZoom: 5,
        boxSelectionEnabled: false,
        selectionType: 'single',
      });
      cyRef.current = cy;
      laidOutFor.current = 0;
      const onTap = (e: EventObject) => {
        const t = e.target;
        if (t === cy) {
          selectedSwitch.current = undefined;
          setSelected(undefined);
        } else if (t.isNode() && t.hasClass('switch')) {
          selectedSwitch.current = t.id();
          setSelected({
            kind: 'switch',
            dpid: t.id(),
            hosts: t.data('hosts') ?? 0,
            links: t.connectedEdges('.link').length,
          });
        } else if (t.isNode() && t.hasClass('host')) {
          const entry = expanded.current.get(t.data('switch'));
          const host = entry?.hosts?.find((h) => h.mac === t.data('mac'));
          if (host) setSelected({ kind: 'host', host });
        } else if (t.isEdge() && t.hasClass('link')) {
          const l = dataRef.current?.links.find((x) => linkEdgeId(x.src, x.dst) === t.id());
          if (l) {
            t.data('label', linkLabel(linkFigures.current.get(t.id())));
            setSelected({ kind: 'link', link: l, utilisation: linkFigures.current.get(t.id())?.utilisation });
          }
        }
        refreshRef.current();
      };
      const onDblTap = (e: EventObject) => {
        const t = e.target;
        if (t !== cy && t.isNode()) {
          navigate(
            t.hasClass('switch')
              ? `/ui/switches/${t.id()}`
              : `/ui/hosts?q=${encodeURIComponent(t.data('mac'))}`,
          );
        }
      };
      let viewportTimer: ReturnType<typeof setTimeout> | undefined;
      const onViewport = () => {
        clearTimeout(viewportTimer);
        viewportTimer = setTimeout(() => refreshRef.current(), 250);
      };
      cy.on('tap', onTap);
      cy.on('dbltap', onDblTap);
      cy.on('mouseover', 'edge.link', (e) =>
        e.target.data('label', linkLabel(linkFigures.current.get(e.target.id()))).addClass('hover'),
      );
      cy.on('mouseout', 'edge.link', (e) => e.target.removeClass('hover'));
      cy.on('viewport', onViewport);
      window.__sluiceTopology = {
        switches: 0,
        links: 0,
        hostNodes: 0,
        hostsTotal: 0,
        pagePositionOf(id) {
          const n = cy.getElementById(id);
          if (n.empty() || !container.current) return undefined;
          const p = n.renderedPosition();
          const box = container.current.getBoundingClientRect();
          return { x: box.left + p.x, y: box.top + p.y };
        },
        pagePointOfEmptySpace() {
          if (!container.current) return undefined;
          const box = container.current.getBoundingClientRect();
          const boxes = cy.nodes().map((n) => n.renderedBoundingBox({}));
          for (let gy = 0.5; gy < 1; gy += 0.1) {
            for (let gx = 0.5; gx < 1; gx += 0.1) {
              for (const [fx, fy] of [
                [gx, gy],
                [1 - gx, 1 - gy],
              ]) {
                const x = box.width * fx;
                const y = box.height * fy;
                const near = boxes.some(
                  (b) => x > b.x1 - 20 && x < b.x2 + 20 && y > b.y1 - 20 && y < b.y2 + 20,
                );
                if (!near) return { x: box.left + x, y: box.top + y };
              }
            }
          }
          return undefined;
        },
        pan: () => ({ ...cy.pan() }),
        nodeIds: (kind) => cy.nodes(`.${kind}`).map((n) => n.id()),
        qosPath: () => ({
          nodes: cy.nodes('.on-path').map((n) => n.id()),
          edges: cy.edges('.on-path').map((e) => {
            const [from, to] = [e.data('source') as string, e.data('target') as string];
            return { id: e.id(), ...(e.hasClass('path-reverse') ? { from: to, to: from } : { from, to }) };
          }),
        }),
      };
      setGraphReady(true);
      cleanup = () => {
        clearTimeout(viewportTimer);
        cy.destroy();
        cyRef.current = undefined;
        expanded.current.clear();
        delete window.__sluiceTopology;
      };
    });
    return () => {
      live = false;
      cleanup?.();
    };
  }, []);

  // Each poll updates the graph in place.
  useEffect(() => {
    const cy = cyRef.current;
    if (!cy || !data || !graphReady) return;
    if (syncGraph(cy, data, laidOutFor.current, linkFigures.current))
      laidOutFor.current = data.switches.length;
    // Expanded switches follow their hosts (a count that changed means a new page).
    for (const [dpid, e] of expanded.current) {
      if (e.hosts && (data.hostCounts.get(dpid) ?? 0) !== e.hosts.length) void expand(dpid, e.pinned);
    }
    const debug = window.__sluiceTopology;
    if (debug) {
      debug.switches = cy.nodes('.switch').length;
      debug.links = cy.edges('.link').length;
      debug.hostNodes = cy.nodes('.host').length;
      debug.hostsTotal = data.hostsTotal;
      if (debug.firstRenderMs === undefined && debug.switches > 0) {
        cy.one('render', () => {
          debug.firstRenderMs ??= performance.now();
          // Input is taken once the main thread has nothing queued before it.
          setTimeout(() => requestAnimationFrame(() => (debug.interactiveMs ??= performance.now())), 0);
        });
      }
    }
  }, [data, graphReady]);

  // Back or forward to another ?path= while the page stays.
  useEffect(() => {
    const onPop = () => setPathName(searchParams().get('path') ?? '');
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  const qosPaths = data?.qosPaths;
  const path =
    pathName && Array.isArray(qosPaths) ? qosPaths.find((p) => p.path.name === pathName) : undefined;
  const highlight = useMemo<PathHighlight | undefined>(
    () => (path && data ? pathHighlight(path.hops, new Set(data.switches), data.links) : undefined),
    [path, data],
  );

  // The path follows the poll: drawn where it runs now, cleared when it is gone.
  useEffect(() => {
    const cy = cyRef.current;
    if (!cy || !graphReady) return;
    cy.batch(() => {
      cy.elements('.on-path').removeClass('on-path path-reverse');
      for (const id of highlight?.nodes ?? []) cy.getElementById(id).addClass('on-path');
      for (const e of highlight?.edges ?? []) {
        cy.getElementById(e.id).addClass(e.forward ? 'on-path' : 'on-path path-reverse');
      }
    });
    // Fitted when the path, its route or the layout changes; not every poll (the user may have panned).
    const on = cy.elements('.on-path');
    const fitFor = on.nonempty() ? `${laidOutFor.current} ${on.map((e) => e.id()).join(' ')}` : '';
    if (fitFor && fitFor !== pathFit.current) {
      cy.fit(on, 60);
      if (cy.zoom() > 2) {
        cy.zoom(2);
        cy.center(on);
      }
    }
    pathFit.current = fitFor;
  }, [highlight, graphReady]);

  const choosePath = (name: string) => {
    setPathName(name);
    replaceSearch({ path: name || undefined });
  };

  const search = async (e: FormEvent) => {
    e.preventDefault();
    setSearchProblem(undefined);
    const cy = cyRef.current;
    const q = query.trim().toLowerCase();
    if (!cy || !q) return;
    const centre = (id: string) => {
      const n = cy.getElementById(id);
      cy.stop();
      cy.animate({ center: { eles: n }, zoom: Math.max(cy.zoom(), 1.5) }, { duration: 300 });
      cy.elements().unselect();
      n.select();
    };
    const sw = cy.nodes('.switch').filter((n) => n.id().toLowerCase().includes(q));
    if (sw.nonempty()) {
      const dpid = sw.first().id();
      centre(dpid);
      selectedSwitch.current = dpid;
      setSelected({ kind: 'switch', dpid, hosts: sw.first().data('hosts') ?? 0, links: 0 });
      setFound({ text: `Switch ${dpid}${sw.length > 1 ? ` (first of ${sw.length} matches)` : ''}` });
      refreshExpansion();
      return;
    }
    try {
      const page = await client.hostsPage({ q, limit: 1 });
      const host = page.hosts[0];
      const dpid = host?.attachmentPoints[0]?.dpid;
      if (!host || !dpid) {
        setFound({ text: host ? `Host ${host.mac} has no attachment point` : `Nothing matches “${q}”` });
        return;
      }
      await expand(dpid, host);
      centre(`host:${host.mac}`);
      setSelected({ kind: 'host', host });
      setFound({
        text:
          `Host ${host.mac}${host.ipv4.length ? ` (${host.ipv4.join(', ')})` : ''} on switch ${dpid} port ` +
          `${host.attachmentPoints[0].port}${page.total > 1 ? ` (first of ${page.total} matches)` : ''}`,
        host,
      });
    } catch (err) {
      setSearchProblem(problemOf(err));
    }
  };

  const hostsHref = (mac: string) => `/ui/hosts?q=${encodeURIComponent(mac)}`;
  const switchHref = (dpid: string) => `/ui/switches/${dpid}`;

  return (
    <section className="topology">
      {problem ? <ProblemNote problem={problem} /> : null}
      <div className="figures">
        <Figure id="topo-switches" label="Switches" value={data?.switches.length} />
        <Figure id="topo-links" label="Links" value={data?.links.length} />
        <Figure id="topo-hosts" label="Hosts" value={data?.hostsTotal} />
      </div>
      <form className="topology-search" role="search" aria-label="Find in topology" onSubmit={search}>
        <input
          type="search"
          aria-label="DPID, MAC or IP"
          placeholder="Find a switch by DPID, a host by MAC or IP"
          value={query}
          maxLength={64}
          onChange={(e) => setQuery(e.target.value)}
        />
        <button type="submit">Find</button>
        <button type="button" onClick={() => cyRef.current?.fit(undefined, 30)}>
          Fit
        </button>
        <span className="legend" aria-label="Link colours">
          <i style={{ background: utilisationColour(0) }} /> idle
          <i style={{ background: utilisationColour(0.5) }} /> 50 %
          <i style={{ background: utilisationColour(1) }} /> full
          <i style={{ background: utilisationColour(null) }} /> not measured
        </span>
      </form>
      <div className="topology-path" data-testid="topology-path-picker">
        {qosPaths === undefined ? null : !Array.isArray(qosPaths) ? (
          <span className="note">
            {qosPaths.kind === 'missing'
              ? 'QoS is not running on this controller: there are no QoS paths to draw.'
              : `QoS paths: ${qosPaths.title}. ${qosPaths.detail}`}
          </span>
        ) : (
          <label>
            QoS path{' '}
            <select aria-label="QoS path" value={pathName} onChange={(e) => choosePath(e.target.value)}>
              <option value="">none</option>
              {qosPaths.map((p) => (
                <option key={p.path.name} value={p.path.name}>
                  {`${p.path.name} (${p.path['src-ip']} → ${p.path['dst-ip']}, ${p.state})`}
                </option>
              ))}
              {pathName && !path ? <option value={pathName}>{`${pathName} (not there)`}</option> : null}
            </select>
          </label>
        )}
        <span className="legend">
          <i style={{ background: PATH_COLOUR }} /> QoS path
        </span>
      </div>
      {searchProblem ? <ProblemNote problem={searchProblem} /> : null}
      {found ? (
        <p className="note" data-testid="topology-found">
          {found.text}
          {found.host ? (
            <>
              {' · '}
              <a href={hostsHref(found.host.mac)} onClick={followLink}>
                Open in Hosts
              </a>
            </>
          ) : null}
        </p>
      ) : null}
      <div className="topology-body">
        <div
          ref={container}
          className="topology-graph"
          data-testid="topology-graph"
          data-switches={data?.switches.length ?? 0}
          data-links={data?.links.length ?? 0}
          aria-label="Network graph: drag to pan, scroll to zoom, click for details, double-click to open"
          role="img"
        />
        <aside className="topology-details" data-testid="topology-details">
          {pathName ? (
            <PathDetails
              name={pathName}
              qosPaths={qosPaths}
              path={path}
              highlight={highlight}
              clear={() => choosePath('')}
            />
          ) : null}
          {selected?.kind === 'switch' ? (
            <>
              <h2>Switch</h2>
              <p className="mono">{selected.dpid}</p>
              <p>
                {selected.hosts} host{selected.hosts === 1 ? '' : 's'}
              </p>
              <a href={switchHref(selected.dpid)} onClick={followLink}>
                Open switch
              </a>{' '}
              <a href={hostsHref(selected.dpid)} onClick={followLink}>
                Its hosts
              </a>
            </>
          ) : selected?.kind === 'host' ? (
            <>
              <h2>Host</h2>
              <p className="mono">{selected.host.mac}</p>
              <p>{[...selected.host.ipv4, ...selected.host.ipv6].join(', ') || 'no address seen'}</p>
              <p>{selected.host.attachmentPoints.map((a) => `${a.dpid} port ${a.port}`).join('; ')}</p>
              <a href={hostsHref(selected.host.mac)} onClick={followLink}>
                Open in Hosts
              </a>
            </>
          ) : selected?.kind === 'link' ? (
            <>
              <h2>Link</h2>
              <p className="mono">
                {selected.link.src.dpid} port {selected.link.src.port}
                <br />
                {selected.link.dst.dpid} port {selected.link.dst.port}
              </p>
              <p>
                {selected.link.direction}, {formatLatency(selected.link.latencyMs)}, utilisation{' '}
                {formatUtilisation(selected.utilisation)}
              </p>
            </>
          ) : (
            <p className="hint">
              Click a switch, host or link for details; double-click a switch or host to open it. Zoom in to
              see hosts.
            </p>
          )}
        </aside>
      </div>
    </section>
  );
}

/** The drawn QoS path in the side panel: its ends, state and hops, and what of it the graph lacks. */
function PathDetails({
  name,
  qosPaths,
  path,
  highlight,
  clear,
}: {
  name: string;
  qosPaths: QosPath[] | Problem | undefined;
  path: QosPath | undefined;
  highlight: PathHighlight | undefined;
  clear(): void;
}) {
  return (
    <div className="topology-path-details" data-testid="topology-path">
      <h2>QoS path</h2>
      <p className="mono">{name}</p>
      {qosPaths === undefined ? (
        <p className="hint">Loading…</p>
      ) : !Array.isArray(qosPaths) ? (
        <p className="path-missing">
          {qosPaths.kind === 'missing' ? 'QoS is not running on this controller.' : qosPaths.detail}
        </p>
      ) : !path ? (
        <p className="path-missing">There is no QoS path “{name}” (deleted?): nothing is drawn.</p>
      ) : (
        <>
          <p>
            {path.path['src-ip']} → {path.path['dst-ip']}, {path.state}
            {path.reason ? ` (${path.reason})` : ''}
          </p>
          {path.hops.length === 0 ? (
            <p className="hint">No hops yet: nothing to draw.</p>
          ) : (
            <ol className="hops">
              {path.hops.map((h, i) => (
                <li key={i} className="mono">
                  {h.switch}: port {h['in-port']} → {h['out-port']}
                </li>
              ))}
            </ol>
          )}
          {highlight?.missing.map((m) => (
            <p key={m} className="path-missing">
              Not drawn: {m}.
            </p>
          ))}
        </>
      )}
      <a href="/ui/qos" onClick={followLink}>
        Open QoS
      </a>{' '}
      <button type="button" onClick={clear}>
        Clear
      </button>
    </div>
  );
}
