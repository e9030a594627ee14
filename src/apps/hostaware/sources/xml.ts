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
const END_TAG_CLOSE = /\s*>/y;
const START_TAG_CLOSE = /\s*(\/?)>/y;
const ENTITY = /&(?:(amp|lt|gt|quot|apos)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

// The start tag and its attributes are scanned by character code rather than by regular expressions: a gmond
// of 1,000 hosts writes some 50,000 elements and 150,000 attributes a poll, and a match array per attribute
// made the parse mostly garbage collection.
const isNameStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
const isNameChar = (c: number) => isNameStart(c) || (c >= 48 && c <= 57) || c === 45 || c === 46;
const isSpace = (c: number) => c === 32 || c === 10 || c === 9 || c === 13;
const QUOT = 34;
const APOS = 39;
const LT = 60;
const EQ = 61;

/** End of the name starting at `i` (i itself when no name starts there). */
function nameEnd(text: string, i: number): number {
  if (!isNameStart(text.charCodeAt(i))) return i;
  let j = i + 1;
  while (isNameChar(text.charCodeAt(j))) j++;
  return j;
}

function skipSpace(text: string, i: number): number {
  while (isSpace(text.charCodeAt(i))) i++;
  return i;
}

/**
 * Short strings that repeat (element and attribute names, TYPE, SLOPE, UNITS...) taken from one slot per
 * length and first two characters instead of a new copy each time; a slot holding another string is replaced.
 */
class Interner {
  private readonly slots = new Map<number, string>();

  slice(text: string, from: number, to: number): string {
    const len = to - from;
    if (len > 12) return text.slice(from, to);
    const key = (len << 16) | ((text.charCodeAt(from) & 0xff) << 8) | (text.charCodeAt(from + 1) & 0xff);
    const s = this.slots.get(key);
    if (s !== undefined && text.startsWith(s, from)) return s;
    const fresh = text.slice(from, to);
    this.slots.set(key, fresh);
    return fresh;
  }
}

/**
 * The attribute ` key="value"` (or 'value') at `i`: key, raw value and where it ends; undefined when there is
 * none (the tag's end, or something malformed, which the caller reports).
 */
function attrAt(
  text: string,
  i: number,
  strings: Interner,
): { key: string; raw: string; end: number } | undefined {
  const k = skipSpace(text, i);
  const ke = nameEnd(text, k);
  if (ke === k) return undefined;
  let v = skipSpace(text, ke);
  if (text.charCodeAt(v) !== EQ) return undefined;
  v = skipSpace(text, v + 1);
  const quote = text.charCodeAt(v);
  if (quote !== QUOT && quote !== APOS) return undefined;
  let e = v + 1;
  for (let c = text.charCodeAt(e); c !== quote; c = text.charCodeAt(++e)) {
    if (c === LT || Number.isNaN(c)) return undefined;
  }
  return { key: strings.slice(text, k, ke), raw: strings.slice(text, v + 1, e), end: e + 1 };
}

/** Whether text[from, to) is only XML whitespace (or, rarely, other whitespace /\s/ accepts). */
function blank(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    if (!isSpace(text.charCodeAt(i))) return !/\S/.test(text.slice(i, to));
  }
  return true;
}

/** What scanXml reports, in document order: each start tag with its attributes, and each element's end. */
export interface XmlHandler {
  open(name: string, attrs: Record<string, string>, line: number): void;
  /** The end of the innermost open element (an empty element `<X/>` is opened and closed at once). */
  close(): void;
}

/** The document as a tree (for callers that want one; ganglia.ts reads the events as they come). */
export function parseXml(text: string, opts: XmlOptions = {}): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  scanXml(text, opts, {
    open(name, attrs, line) {
      const el: XmlElement = { name, attrs, children: [], line };
      if (stack.length) stack[stack.length - 1].children.push(el);
      else root = el;
      stack.push(el);
    },
    close() {
      stack.pop();
    },
  });
  return root!;
}

/**
 * Reads `text` and calls `handler` for each element, without building a tree; throws ParseError (naming the
 * line) where the text is not well-formed, after the events of what came before it.
 */
export function scanXml(text: string, opts: XmlOptions, handler: XmlHandler): void {
  checkSize('ganglia-xml', text, opts.maxBytes);
  const maxDepth = opts.maxDepth ?? 32;
  let pos = 0;
  let line = 1;
  // The open elements' names and start lines.
  const names: string[] = [];
  const lines: number[] = [];
  let rootName: string | undefined;
  const strings = new Interner();

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
      // Ganglia writes no character data; anything but whitespace outside a tag is garbage (an HTML error
      // page, a truncated stream, a non-XML answer).
      if (!blank(text, pos, textEnd))
        fail(`unexpected text '${text.slice(pos, textEnd).trim().slice(0, 40)}'`);
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
      if (rootName !== undefined) fail('DOCTYPE after the root element');
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
      const close = END_TAG_CLOSE;
      close.lastIndex = NAME.lastIndex;
      if (!close.exec(text)) fail(`bad end tag </${m![0]}`);
      const open = names.pop();
      const openLine = lines.pop();
      if (open === undefined) fail(`end tag </${m![0]}> without a start tag`, start);
      if (open !== m![0]) fail(`end tag </${m![0]}> does not close <${open}> of line ${openLine}`, start);
      advance(close.lastIndex);
      handler.close();
    } else {
      const start = line;
      const ne = nameEnd(text, pos + 1);
      if (ne === pos + 1) fail(`bad tag '${text.slice(pos, pos + 20)}'`);
      const el = { name: strings.slice(text, pos + 1, ne), attrs: {} as Record<string, string> };
      let p = ne;
      for (let a = attrAt(text, p, strings); a; a = attrAt(text, p, strings)) {
        if (Object.hasOwn(el.attrs, a.key)) fail(`<${el.name}> repeats attribute ${a.key}`, start);
        el.attrs[a.key] = decode(a.raw, `<${el.name}> attribute ${a.key}`);
        p = a.end;
      }
      const end = START_TAG_CLOSE;
      end.lastIndex = p;
      const e = end.exec(text);
      if (!e) {
        if (p >= text.length || !text.includes('>', p))
          fail(`<${el.name}> is cut off (truncated input?)`, start);
        fail(`<${el.name}> has a malformed attribute near '${text.slice(p, p + 30).trim()}'`, start);
      }
      if (names.length === 0) {
        if (rootName !== undefined) fail(`second root element <${el.name}> after <${rootName}>`, start);
        rootName = el.name;
      }
      const empty = e![1] === '/';
      if (!empty) {
        if (names.length >= maxDepth) fail(`elements nested deeper than ${maxDepth}`, start);
        names.push(el.name);
        lines.push(start);
      }
      advance(end.lastIndex);
      handler.open(el.name, el.attrs, start);
      if (empty) handler.close();
    }
  }
  if (names.length) {
    fail(`input ends inside <${names[names.length - 1]}> of line ${lines[lines.length - 1]} (truncated?)`);
  }
  if (rootName === undefined) fail('no root element (empty or not XML)');
}
