/** Schema pieces shared by route areas (they also document the OpenAPI parameters). */
import { Type, type TSchema } from '@sinclair/typebox';
import { DPID_DESCRIPTION } from '../schema/index.js';

export { DPID_DESCRIPTION };

export const DpidText = Type.String({ description: DPID_DESCRIPTION, minLength: 1, maxLength: 32 });

/** A string enum (ajv reports the allowed values, which end up in the error detail). */
export function StringEnum<T extends string>(values: readonly T[], description?: string): TSchema {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
}

export const PortNumber = Type.Integer({
  minimum: 0,
  maximum: 0xffffffff,
  description: 'OpenFlow port number',
});

export const MacText = Type.String({
  pattern: '^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$',
  description: 'MAC address aa:bb:cc:dd:ee:ff',
});

export const Ipv4Text = Type.String({ format: 'ipv4', description: 'IPv4 address' });

export const VlanId = Type.Integer({ minimum: 0, maximum: 4095, description: 'VLAN id (0 = untagged)' });

/** Query filter for hosts, shared by /wm/device/ and /api/v1/hosts. */
export const HostQuery = Type.Object(
  {
    mac: Type.Optional(MacText),
    ipv4: Type.Optional(Ipv4Text),
    dpid: Type.Optional(DpidText),
    port: Type.Optional(PortNumber),
    vlan: Type.Optional(VlanId),
  },
  { additionalProperties: false },
);
