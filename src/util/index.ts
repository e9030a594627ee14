export { formatDpid, parseDpid } from './dpid.js';
export { parseIntIn, parseIpv4, parseMac, parsePrefix, prefixMask, type Prefix } from './values.js';
export { SerialQueue } from './serial.js';
export {
  AppError,
  ConflictError,
  FieldError,
  NotFoundError,
  OvsdbUnavailableError,
  SluiceError,
  throwingAs,
  type AppErrorCode,
  type ValidationErrorCode,
} from './errors.js';
export { FakeClock, MAX_TIMER_MS, every, systemClock, type Clock } from './clock.js';
export { sortedKeys } from './json.js';
export { logGate, type LogGate } from './ratelimit.js';
