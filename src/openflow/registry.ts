/**
 * The typed codec registry: one codec per message type, registered for the versions that carry it,
 * looked up by (version, model type) to encode and by (version, ofp_type) to decode. Registering the
 * same type or wire number twice for a version is a programming error and throws at startup.
 */
import type { OfMessage, OfMessageType, OfVersion } from './types.js';
import { OFP_VERSION_1_0, OFP_VERSION_1_3 } from './types.js';
import type { Reader, Writer } from './wire.js';

export type MessageOf<K extends OfMessageType> = Extract<OfMessage, { type: K }>;

export interface MessageCodec<K extends OfMessageType = OfMessageType> {
  readonly type: K;
  /** ofp_type on the wire for each version that carries the message. */
  readonly wire: Partial<Record<OfVersion, number>>;
  /** Bytes after the 8-byte header. Validates everything `write` relies on. */
  size(msg: MessageOf<K>, v: OfVersion): number;
  write(w: Writer, msg: MessageOf<K>, v: OfVersion): void;
  /** Reads the body in [r.off, r.end). */
  read(r: Reader, v: OfVersion, xid: number): MessageOf<K>;
}

export function defineCodec<K extends OfMessageType>(c: MessageCodec<K>): MessageCodec<K> {
  return c;
}

export const VERSIONS: readonly OfVersion[] = [OFP_VERSION_1_0, OFP_VERSION_1_3];

export class CodecRegistry {
  private readonly byType = new Map<OfVersion, Map<OfMessageType, MessageCodec>>(
    VERSIONS.map((v) => [v, new Map()]),
  );
  private readonly byWire = new Map<OfVersion, (MessageCodec | undefined)[]>(VERSIONS.map((v) => [v, []]));

  register<K extends OfMessageType>(codec: MessageCodec<K>): this {
    for (const v of VERSIONS) {
      const wire = codec.wire[v];
      if (wire === undefined) continue;
      const types = this.byType.get(v)!;
      if (types.has(codec.type)) throw new Error(`duplicate codec for ${codec.type} in version ${v}`);
      const table = this.byWire.get(v)!;
      if (table[wire]) throw new Error(`duplicate codec for ofp_type ${wire} in version ${v}`);
      types.set(codec.type, codec as unknown as MessageCodec);
      table[wire] = codec as unknown as MessageCodec;
    }
    return this;
  }

  forType(v: OfVersion, type: OfMessageType): MessageCodec | undefined {
    return this.byType.get(v)?.get(type);
  }

  forWire(v: OfVersion, wireType: number): MessageCodec | undefined {
    return this.byWire.get(v)![wireType];
  }

  /** Every (version, type) pair registered, for tests. */
  entries(): { version: OfVersion; type: OfMessageType; wire: number }[] {
    const out: { version: OfVersion; type: OfMessageType; wire: number }[] = [];
    for (const v of VERSIONS) {
      this.byWire.get(v)!.forEach((c, wire) => {
        if (c) out.push({ version: v, type: c.type, wire });
      });
    }
    return out;
  }
}
