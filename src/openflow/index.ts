export * from './types.js';
export { encode, encodeMessage, decode, type OfMessageBody } from './codec.js';
export { FrameReader, type FramedChunk } from './framer.js';
export { CODEC_VERSIONS, negotiateVersion } from './negotiate.js';
export { L2FlowModTemplate, l2FlowMod, type L2FlowFixed, type L2FlowVars } from './template.js';
export {
  OpenFlowDecodeError,
  OpenFlowEncodeError,
  OFPET10,
  OFPET13,
  type OpenFlowDecodeErrorCode,
  type OpenFlowEncodeErrorCode,
} from './errors.js';
export { OXM_FIELDS } from './oxm.js';
export { emptyStatsReply, zeroPortStats } from './stats.js';
export {
  formatFlow,
  formatMatch,
  formatActions,
  formatInstructions,
  formatOpaqueOxm,
  formatPort,
} from './format.js';
export {
  NO_GENERATION,
  NX_VENDOR_ID,
  OFPCR_ROLE,
  OFPRRFC_STALE,
  roleReplyOf,
  roleRequest,
  type ControllerRole,
  type RoleAnswer,
} from './roles.js';
