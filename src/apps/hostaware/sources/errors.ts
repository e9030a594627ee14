/**
 * What a parser throws on input it cannot read: a source that answers garbage. The poller turns it into a WARN
 * message and marks the source's metrics stale; it never reaches an action. `where` names the spot (an element
 * and attribute, a line number, a JSON path) so the message tells an operator what the source got wrong.
 */
import { SluiceError } from '../../../util/index.js';

export type SourceFormat =
  'ganglia-xml' | 'prometheus-text' | 'prometheus-query' | 'alertmanager' | 'rrd-fetch';

export class ParseError extends SluiceError {
  override readonly code = 'SLU_HOSTAWARE_PARSE';
  constructor(
    readonly format: SourceFormat,
    /** `line 12`, `HOST[h1] attribute REPORTED`, `data.result[3].value`. */
    readonly where: string,
    readonly reason: string,
  ) {
    super(`${format}: ${where}: ${reason}`);
  }
}

/** Inputs larger than this are refused before parsing: a source that streams forever must not exhaust memory. */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

export function checkSize(format: SourceFormat, text: string, maxBytes = DEFAULT_MAX_BYTES): void {
  // String length counts UTF-16 units, at most the UTF-8 byte count for the ASCII these formats are.
  if (text.length > maxBytes) {
    throw new ParseError(format, 'input', `${text.length} bytes is over the limit of ${maxBytes}`);
  }
}
