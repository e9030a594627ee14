/** Port statistics (src/apps/statistics): collection status, per-port counters and rates, per-link load. */
import { Type } from '@sinclair/typebox';
import { Dpid, Int, Nullable } from './common.js';

/** A rate or share that is null until two samples were taken (or speed is unknown). */
const Rate = (description: string) => Nullable(Type.Number({ description }));

export const StatisticsStatus = Type.Object({
  enabled: Type.Boolean(),
  intervalMs: Int('period of the port-stats round'),
});

export const StatisticsEnable = Type.Object({ enabled: Type.Boolean() });

export const PortRateEntry = Type.Object({
  dpid: Dpid,
  port: Int('OpenFlow port number'),
  portName: Type.String({ description: 'the number, or LOCAL' }),
  updatedAt: Type.String({ description: 'when the counters were read (ISO 8601)' }),
  speedKbps: Int('current speed the switch reports; 0 when unknown'),
  rxBytes: Type.Number(),
  txBytes: Type.Number(),
  rxPackets: Type.Number(),
  txPackets: Type.Number(),
  rxBitsPerSec: Rate('null until two samples were taken'),
  txBitsPerSec: Rate('null until two samples were taken'),
  rxPacketsPerSec: Rate('per second'),
  txPacketsPerSec: Rate('per second'),
  droppedPerSec: Rate('rx + tx dropped per second'),
  errorsPerSec: Rate('rx + tx errors per second'),
  utilisation: Rate('busier direction / speed (0..1); null without rates or speed'),
});

const LinkEnd = Type.Object({ dpid: Dpid, port: Int() });

export const LinkLoad = Type.Object({
  src: LinkEnd,
  dst: LinkEnd,
  srcTxBitsPerSec: Rate('the src port transmit rate: the direction src -> dst'),
  dstTxBitsPerSec: Rate('the dst port transmit rate: the direction dst -> src'),
  utilisation: Rate('the busier direction / its port speed (0..1); null while unmeasured'),
});
