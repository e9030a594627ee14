export { formatDpid, parseDpid } from './dpid.js';
export {
  FieldError,
  ipv4Num,
  ipv4Text,
  parseIntIn,
  parseMac,
  parsePrefix,
  prefixMask,
  type Prefix,
} from './values.js';
export { SerialQueue } from './serial.js';
