/** OpenFlow version negotiation from a peer's HELLO: the one rule both the codec and sessions use. */
import { OFP_VERSION_1_0, OFP_VERSION_1_3, type OfVersion } from './types.js';

/** The versions this codec speaks. */
export const CODEC_VERSIONS: readonly OfVersion[] = [OFP_VERSION_1_0, OFP_VERSION_1_3];

/**
 * The version to speak with a peer (OF1.3 §6.3.1): the highest in both version bitmaps when the peer sent
 * one; otherwise the lower of the two header versions, which must be one we speak. Undefined: none.
 */
export function negotiateVersion(
  ours: readonly number[],
  peerHeaderVersion: number,
  peerBitmap: readonly number[],
): OfVersion | undefined {
  const candidates = peerBitmap.length
    ? ours.filter((v) => peerBitmap.includes(v))
    : ours.filter((v) => v === Math.min(peerHeaderVersion, Math.max(...ours)));
  if (!candidates.length) return undefined;
  return Math.max(...candidates) as OfVersion;
}
