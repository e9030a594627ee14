export { formatDpid, parseDpid } from './dpid.js';
