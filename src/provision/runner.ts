/**
 * Runs the steps against one node: each step plans (reads the node) and applies its changes before the next
 * plans, so later steps see what earlier ones did. On a failure the changes this run made are undone in
 * reverse and the error names the step and carries the command's output; what was already as described is
 * never touched. Progress goes to `report` as the seed's transcript did ("[3/8] ... changed").
 */
import { CommandError, lastLines } from './command.js';
import { STEPS, type Change, type Step, type StepContext } from './steps.js';

export type StepStatus = 'unchanged' | 'changed' | 'would-change' | 'failed' | 'rolled-back' | 'skipped';

export interface StepReport {
  step: string;
  title: string;
  status: StepStatus;
  changes: string[];
  commands: string[];
  error?: string;
  output?: string;
}

export interface ProvisionResult {
  node: string;
  where: string;
  dryRun: boolean;
  changed: boolean;
  ok: boolean;
  steps: StepReport[];
  rollback?: { undone: number; failures: string[] };
}

export type ProgressEvent =
  | { kind: 'step-start'; index: number; total: number; step: Step }
  | { kind: 'step-end'; index: number; total: number; report: StepReport }
  | { kind: 'command'; text: string }
  | { kind: 'rollback'; change: string; error?: string };

/** A provisioning run that failed: the step, why, and the command's output. */
export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
  constructor(
    readonly result: ProvisionResult,
    readonly step: string,
    reason: string,
  ) {
    super(`step ${step} failed: ${reason}`);
  }
}

export interface RunOptions {
  dryRun?: boolean;
  report?: (e: ProgressEvent) => void;
  steps?: readonly Step[];
}

export async function provisionNode(ctx: StepContext, opts: RunOptions = {}): Promise<ProvisionResult> {
  const steps = opts.steps ?? STEPS;
  const report = opts.report ?? (() => {});
  const result: ProvisionResult = {
    node: ctx.node.name,
    where: ctx.exec.where,
    dryRun: Boolean(opts.dryRun),
    changed: false,
    ok: true,
    steps: [],
  };
  const done: Change[] = [];
  for (const [i, step] of steps.entries()) {
    report({ kind: 'step-start', index: i + 1, total: steps.length, step });
    const r: StepReport = {
      step: step.id,
      title: step.title,
      status: 'unchanged',
      changes: [],
      commands: [],
    };
    result.steps.push(r);
    try {
      const changes = await step.plan(ctx);
      r.changes = changes.map((c) => c.summary);
      r.commands = changes.flatMap((c) => c.commands);
      if (changes.length && opts.dryRun) r.status = 'would-change';
      else if (changes.length) {
        for (const c of changes) {
          for (const text of c.commands) report({ kind: 'command', text });
          // Listed before it runs: a change that fails part-way undoes the part that took effect.
          done.push(c);
          await c.apply();
        }
        r.status = 'changed';
        result.changed = true;
      }
      report({ kind: 'step-end', index: i + 1, total: steps.length, report: r });
    } catch (err) {
      r.status = 'failed';
      r.error = err instanceof Error ? err.message : String(err);
      if (err instanceof CommandError)
        r.output = [err.result.stdout, err.result.stderr].filter((t) => t.trim()).join('\n');
      report({ kind: 'step-end', index: i + 1, total: steps.length, report: r });
      result.ok = false;
      for (const rest of steps.slice(i + 1))
        result.steps.push({ step: rest.id, title: rest.title, status: 'skipped', changes: [], commands: [] });
      result.rollback = await rollback(done, report);
      for (const s of result.steps) if (s.status === 'changed') s.status = 'rolled-back';
      throw new ProvisionError(result, step.id, r.error);
    }
  }
  for (const c of done) await c.commit?.().catch(() => undefined);
  return result;
}

async function rollback(
  done: Change[],
  report: (e: ProgressEvent) => void,
): Promise<{ undone: number; failures: string[] }> {
  const failures: string[] = [];
  let undone = 0;
  for (const c of [...done].reverse()) {
    try {
      if ((await c.undo()) === false) continue;
      undone++;
      report({ kind: 'rollback', change: c.summary });
    } catch (err) {
      const why = err instanceof CommandError ? lastLines(err.message, 2) : String(err);
      failures.push(`${c.summary}: ${why}`);
      report({ kind: 'rollback', change: c.summary, error: why });
    }
  }
  return { undone, failures };
}
