/** DPIDs travel as 64-bit bigints internally and print as `00:00:00:00:00:00:00:01` (Floodlight, ovs-ofctl). */

const DPID_TEXT = /^([0-9a-f]{2}:){7}[0-9a-f]{2}$/i;
const HEX_TEXT = /^(0x)?[0-9a-f]{1,16}$/i;

export function formatDpid(dpid: bigint): string {
  const hex = dpid.toString(16).padStart(16, '0');
  return hex.match(/../g)!.join(':');
}

/** Accepts `00:00:00:00:00:00:00:01` or hex with or without `0x` (as ovs-ofctl prints). */
export function parseDpid(text: string): bigint | undefined {
  const t = text.trim();
  if (DPID_TEXT.test(t)) return BigInt('0x' + t.replace(/:/g, ''));
  if (HEX_TEXT.test(t)) return BigInt(t.toLowerCase().startsWith('0x') ? t : '0x' + t);
  return undefined;
}
