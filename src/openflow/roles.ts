/**
 * Controller roles, one vocabulary over both versions: OpenFlow 1.3's ROLE_REQUEST/ROLE_REPLY (with the
 * master election generation id) and, on 1.0, Open vSwitch's Nicira extension (NXT_ROLE_REQUEST/REPLY, a
 * vendor message without a generation id). Pure: builds the message body and reads the reply.
 */
import { OFP_VERSION_1_0, type OfVersion, type OfMessage } from './types.js';
import type { OfMessageBody } from './codec.js';

export type ControllerRole = 'nochange' | 'equal' | 'master' | 'slave';

/** OFPCR_ROLE_* (OF1.3). Nicira's NX_ROLE_* are these minus one (no NOCHANGE). */
export const OFPCR_ROLE = { nochange: 0, equal: 1, master: 2, slave: 3 } as const;
export const NX_VENDOR_ID = 0x00002320;
export const NXT_ROLE_REQUEST = 10;
export const NXT_ROLE_REPLY = 11;
/** OFPRRFC_STALE: the generation id is older than one the switch has seen. */
export const OFPRRFC_STALE = 0;
/** A ROLE_REPLY's generation id when the switch has none (OVS). */
export const NO_GENERATION = 0xffffffffffffffffn;

/**
 * The role request for `version`. `generation` is required for master and slave on 1.3 (the switch refuses
 * one older than the newest it has seen); 1.0 has no generation and no 'nochange'.
 */
export function roleRequest(version: OfVersion, role: ControllerRole, generation = 0n): OfMessageBody {
  if (version === OFP_VERSION_1_0) {
    if (role === 'nochange') throw new RangeError("role: OpenFlow 1.0 (Nicira roles) has no 'nochange'");
    const data = Buffer.alloc(8);
    data.writeUInt32BE(NXT_ROLE_REQUEST, 0);
    data.writeUInt32BE(OFPCR_ROLE[role] - 1, 4);
    return { type: 'experimenter', experimenter: NX_VENDOR_ID, expType: 0, data };
  }
  if (generation < 0n || generation > NO_GENERATION) {
    throw new RangeError(`generation: must fit in 64 bits, got ${generation}`);
  }
  return { type: 'role_request', role: OFPCR_ROLE[role], generationId: generation };
}

export interface RoleAnswer {
  role: Exclude<ControllerRole, 'nochange'>;
  /** The switch's newest generation id; undefined on 1.0 and when it has none. */
  generation?: bigint;
}

const ROLE_NAMES: Record<number, RoleAnswer['role']> = { 1: 'equal', 2: 'master', 3: 'slave' };

/** What a ROLE_REPLY (or Nicira role reply) says; undefined when `msg` is neither or names no known role. */
export function roleReplyOf(msg: OfMessage): RoleAnswer | undefined {
  if (msg.type === 'role_reply') {
    const role = ROLE_NAMES[msg.role];
    if (!role) return undefined;
    return msg.generationId === NO_GENERATION ? { role } : { role, generation: msg.generationId };
  }
  if (msg.type === 'experimenter' && msg.experimenter === NX_VENDOR_ID && msg.data.length >= 8) {
    if (msg.data.readUInt32BE(0) !== NXT_ROLE_REPLY) return undefined;
    const role = ROLE_NAMES[msg.data.readUInt32BE(4) + 1];
    return role ? { role } : undefined;
  }
  return undefined;
}
