/**
 * A small strict reader for the XML that gmond and gmetad write: elements with attributes and no text, a
 * prologue with an internal DTD subset. Written here rather than taken from a library because that subset is all
 * Ganglia emits, and a reader of our own can say exactly what is wrong (element, attribute, line) and bound its
 * work (size, depth) on a source that answers garbage. It does not validate against the DTD: ganglia.ts checks
 * the structure it needs.
 */
import { ParseError, checkSize } from './errors.js';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** 1-based line of the start tag, for error messages. */
  line: number;
}

export interface XmlOptions {
  maxBytes?: number;
  /** Ganglia nests GANGLIA_XML/GRID/GRID.../CLUSTER/HOST/METRIC/EXTRA_DATA/EXTRA_ELEMENT: 32 is plenty. */
  maxDepth?: number;
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const ATTR = /\s*([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;
const ENTITY = /&(?:(amp|lt|gt|quot|apos)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function parseXml(text: string, opts: XmlOptions = {}): XmlElement {
  checkSize('ganglia-xml', text, opts.maxBytes);
  const maxDepth = opts.maxDepth ?? 32;
  let pos = 0;
  let line = 1;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  const fail = (reason: string, at = line): never => {
    throw new ParseError('ganglia-xml', `line ${at}`, reason);
  };
  // Moves to `to`, counting the newlines passed so errors can name a line.
  const advance = (to: number) => {
    for (let i = text.indexOf('\n', pos); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) line++;
    pos = to;
  };
  const skipPast = (end: string, what: string) => {
    const i = text.indexOf(end, pos);
    if (i === -1) fail(`unterminated ${what}`);
    advance(i + end.length);
  };
  const decode = (raw: string, where: string): string => {
    if (!raw.includes('&')) return raw;
    const out = raw.replace(ENTITY, (_m, named?: string, dec?: string, hex?: string) => {
      if (named) return NAMED[named];
      const cp = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
      if (cp > 0x10ffff) fail(`character reference out of range in ${where}`);
      return String.fromCodePoint(cp);
    });
    // A '&' that no reference pattern took is a bare ampersand: not well-formed XML.
    if (raw.replace(ENTITY, '').includes('&')) fail(`bad entity reference in ${where}`);
    return out;
  };

  while (pos < text.length) {
    const lt = text.indexOf('<', pos);
    const textEnd = lt === -1 ? text.length : lt;
    if (textEnd > pos) {
      const chunk = text.slice(pos, textEnd);
      // Ganglia writes no character data; anything but whitespace outside a tag is garbage (an HTML error
      // page, a truncated stream, a non-XML answer).
      if (/\S/.test(chunk)) fail(`unexpected text '${chunk.trim().slice(0, 40)}'`);
      advance(textEnd);
    }
    if (lt === -1) break;
    if (text.startsWith('<?', pos)) {
      skipPast('?>', 'processing instruction');
    } else if (text.startsWith('<!--', pos)) {
      skipPast('-->', 'comment');
    } else if (text.startsWith('<![CDATA[', pos)) {
      fail('unexpected CDATA section');
    } else if (text.startsWith('<!DOCTYPE', pos)) {
      if (root || stack.length) fail('DOCTYPE after the root element');
      // The internal subset ([ ... ]) holds <!ELEMENT>/<!ATTLIST> declarations with '>' in them: skip to ']>'.
      const bracket = text.indexOf('[', pos);
      const close = text.indexOf('>', pos);
      if (close === -1) fail('unterminated DOCTYPE');
      if (bracket !== -1 && bracket < close) skipPast(']>', 'DOCTYPE internal subset');
      else advance(close + 1);
    } else if (text.startsWith('</', pos)) {
      const start = line;
      NAME.lastIndex = pos + 2;
      const m = NAME.exec(text);
      if (!m) fail('bad end tag');
      const close = /\s*>/y;
      close.lastIndex = NAME.lastIndex;
      if (!close.exec(text)) fail(`bad end tag </${m![0]}`);
      const open = stack.pop();
      if (!open) fail(`end tag </${m![0]}> without a start tag`, start);
      if (open!.name !== m![0])
        fail(`end tag </${m![0]}> does not close <${open!.name}> of line ${open!.line}`, start);
      advance(close.lastIndex);
    } else {
      const start = line;
      NAME.lastIndex = pos + 1;
      const m = NAME.exec(text);
      if (!m) fail(`bad tag '${text.slice(pos, pos + 20)}'`);
      const el: XmlElement = { name: m![0], attrs: {}, children: [], line: start };
      let p = NAME.lastIndex;
      for (;;) {
        ATTR.lastIndex = p;
        const a = ATTR.exec(text);
        if (!a) break;
        const key = a[1];
        if (Object.hasOwn(el.attrs, key)) fail(`<${el.name}> repeats attribute ${key}`, start);
        el.attrs[key] = decode(a[2] ?? a[3], `<${el.name}> attribute ${key}`);
        p = ATTR.lastIndex;
      }
      const end = /\s*(\/?)>/y;
      end.lastIndex = p;
      const e = end.exec(text);
      if (!e) {
        if (p >= text.length || !text.includes('>', p))
          fail(`<${el.name}> is cut off (truncated input?)`, start);
        fail(`<${el.name}> has a malformed attribute near '${text.slice(p, p + 30).trim()}'`, start);
      }
      if (stack.length) stack[stack.length - 1].children.push(el);
      else if (root) fail(`second root element <${el.name}> after <${root.name}>`, start);
      else root = el;
      if (e![1] !== '/') {
        if (stack.length >= maxDepth) fail(`elements nested deeper than ${maxDepth}`, start);
        stack.push(el);
      }
      advance(end.lastIndex);
    }
  }
  if (stack.length) {
    const open = stack[stack.length - 1];
    fail(`input ends inside <${open.name}> of line ${open.line} (truncated?)`);
  }
  if (!root) fail('no root element (empty or not XML)');
  return root!;
}
