/**
 * Revisions of a stored description (a node's, or the control cluster's), as pure functions: applying the same
 * description again changes nothing; anything else is a new revision numbered after the last one in the
 * history, so a node deleted and applied again continues its numbering instead of starting over at 1.
 */
import { sortedKeys } from '../../util/index.js';

export type AppliedChange = 'created' | 'updated' | 'unchanged';

/** Two descriptions are the same when their JSON with sorted keys is. */
export const canonicalJson = (value: unknown): string => JSON.stringify(sortedKeys(value));

export const sameDescription = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

export interface Current<D> {
  revision: number;
  description: D;
}

/**
 * What applying `next` does: `unchanged` keeps the current revision; otherwise the new revision is one past
 * the last ever recorded (`lastRevision`, 0 when there is no history).
 */
export function planApply<D>(
  next: D,
  current: Current<D> | undefined,
  lastRevision: number,
): { change: AppliedChange; revision: number } {
  if (current && sameDescription(current.description, next)) {
    return { change: 'unchanged', revision: current.revision };
  }
  const revision = Math.max(lastRevision, current?.revision ?? 0) + 1;
  return { change: current ? 'updated' : 'created', revision };
}

/** History keys sort as text: fixed-width revision numbers keep them in numeric order. */
export const revisionKey = (revision: number): string => String(revision).padStart(10, '0');
