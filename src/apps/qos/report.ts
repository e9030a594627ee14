/**
 * The switches' verdict on a QoS change, from the reconcile runs that carried it: the first rejection of
 * one policy's or path's flow or meter, as the QosError the API answers with.
 */
import type { SwitchReconcile } from '../../controller/index.js';
import { formatDpid } from '../../util/index.js';
import { meterIdOf, placementCookie } from './flows.js';
import { QosError } from './policy.js';

/**
 * `field` names the key at fault for a rejected flow (the meter's is `<prefix>rate-kbps`); `prefix` is
 * 'policy.' for a path's template.
 */
export function rejectionOf(
  runs: readonly SwitchReconcile[],
  id: number,
  appCookie: bigint,
  field: string,
  prefix = '',
): QosError | undefined {
  const cookie = placementCookie({ id }, appCookie);
  for (const r of runs) {
    const on = `switch ${formatDpid(r.dpid)} rejected`;
    const meter = r.meters.find((m) => m.error && m.meterId === meterIdOf(id));
    if (meter)
      return new QosError(`${prefix}rate-kbps`, `${on} meter ${meter.meterId}: ${meter.error!.message}`);
    const flow = r.flows.find((f) => f.error && f.op === 'add' && f.flow.cookie === cookie);
    if (flow) return new QosError(field, `${on} the flow: ${flow.error!.message}`);
  }
  return undefined;
}
