/**
 * What the pages with forms share: an API call run from a button or a submit, with its failure kept, and
 * inputs that show the API's error next to the field it names (ApiError.field). The API is the one judge of
 * a value: the forms send what was typed and show what it said.
 */
import { useCallback, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, isUnauthorized, problemOf, type Problem, type SluiceClient } from './api.js';
import { useSession } from './session.js';
import { ProblemNote } from './ui.js';
import './forms.css';

export interface Action {
  busy: boolean;
  problem?: Problem;
  /** The field the API named in its error (ApiError.field), when it named one. */
  field?: string;
  /** The API's `detail` for that field (shown next to it). */
  fieldDetail?: string;
  /** What the last success said. */
  done?: string;
  /** Runs one call; true when it succeeded. A 401 sends the app to its login screen. */
  run(call: (client: SluiceClient) => Promise<string | void>): Promise<boolean>;
}

interface ActionState {
  busy: boolean;
  problem?: Problem;
  field?: string;
  fieldDetail?: string;
  done?: string;
}

export function useAction(): Action {
  const { client, unauthorized } = useSession();
  const [state, setState] = useState<ActionState>({ busy: false });
  const run = useCallback(
    async (call: (client: SluiceClient) => Promise<string | void>) => {
      setState({ busy: true });
      try {
        const done = await call(client);
        setState({ busy: false, ...(done ? { done } : {}) });
        return true;
      } catch (err) {
        if (isUnauthorized(err)) {
          unauthorized();
          return false;
        }
        const named =
          err instanceof ApiError && err.field ? { field: err.field, fieldDetail: err.detail } : {};
        setState({ busy: false, problem: problemOf(err), ...named });
        return false;
      }
    },
    [client, unauthorized],
  );
  return { ...state, run };
}

/**
 * Whether the API's error names `name`: exactly, as the last part of a path (`[0].in_port`,
 * `policy.rate-kbps`: a form field stands for the same key wherever the API nests it), or something inside
 * it (`queues.1.max-rate` is the `queues` input's).
 */
export function namesField(apiField: string | undefined, name: string): boolean {
  if (!apiField) return false;
  return (
    apiField === name ||
    apiField.endsWith(`.${name}`) ||
    apiField.endsWith(`]${name}`) ||
    apiField.startsWith(`${name}.`) ||
    apiField.startsWith(`${name}[`)
  );
}

/** The action's outcome above its form, unless an input shows it (its field is one of `fields`). */
export function ActionNote({ action, fields = [] }: { action: Action; fields?: readonly string[] }) {
  if (action.problem) {
    if (fields.some((f) => namesField(action.field, f))) return null;
    return <ProblemNote problem={action.problem} />;
  }
  return action.done ? (
    <p className="done" role="status" data-testid="done">
      {action.done}
    </p>
  ) : null;
}

interface InputProps {
  /** The API's key for this value (what its errors name). */
  name: string;
  label: string;
  value: string;
  onChange(value: string): void;
  action: Action;
  placeholder?: string;
  /** Suggestions (a datalist); the input still takes any text. */
  suggest?: readonly { value: string; label?: string }[];
  hint?: string;
}

/** One labelled input; the API's error for its field shows right under it. */
export function TextInput({ name, label, value, onChange, action, placeholder, suggest, hint }: InputProps) {
  const bad = action.problem !== undefined && namesField(action.field, name);
  const listId = suggest ? `suggest-${name}` : undefined;
  return (
    <label className={bad ? 'field field-bad' : 'field'} data-field={name}>
      <span className="field-label">{label}</span>
      <input
        name={name}
        value={value}
        placeholder={placeholder}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={bad || undefined}
        list={listId}
      />
      {suggest ? (
        <datalist id={listId}>
          {suggest.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label ?? s.value}
            </option>
          ))}
        </datalist>
      ) : null}
      {hint && !bad ? <span className="field-hint">{hint}</span> : null}
      {bad ? <FieldProblem name={name} detail={action.fieldDetail ?? ''} /> : null}
    </label>
  );
}

interface SelectProps {
  name: string;
  label: string;
  value: string;
  onChange(value: string): void;
  action: Action;
  options: readonly { value: string; label?: string }[];
}

export function SelectInput({ name, label, value, onChange, action, options }: SelectProps) {
  const bad = action.problem !== undefined && namesField(action.field, name);
  return (
    <label className={bad ? 'field field-bad' : 'field'} data-field={name}>
      <span className="field-label">{label}</span>
      <select
        name={name}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={bad || undefined}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label ?? o.value}
          </option>
        ))}
      </select>
      {bad ? <FieldProblem name={name} detail={action.fieldDetail ?? ''} /> : null}
    </label>
  );
}

function FieldProblem({ name, detail }: { name: string; detail: string }) {
  return (
    <span className="field-error" role="alert" data-testid={`field-error-${name}`}>
      {detail}
    </span>
  );
}

/** A form whose submit runs `onSubmit` (never a page load); its fields in a wrapping row. */
export function Form({
  label,
  onSubmit,
  action,
  submit,
  fields,
  children,
}: {
  label: string;
  onSubmit(): void;
  action: Action;
  submit: string;
  /** The API keys the form's inputs stand for (an error naming another shows above the form). */
  fields: readonly string[];
  children: ReactNode;
}) {
  const handle = (e: FormEvent) => {
    e.preventDefault();
    onSubmit();
  };
  return (
    <form className="entry-form" aria-label={label} onSubmit={handle}>
      <ActionNote action={action} fields={fields} />
      <div className="fields">{children}</div>
      <button type="submit" disabled={action.busy}>
        {submit}
      </button>
    </form>
  );
}

/** The non-empty values of a form, trimmed: what the API gets (an absent key means "any" / "default"). */
export function filled(values: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) if (v.trim() !== '') out[k] = v.trim();
  return out;
}

/** "Enabled" / "Disabled" with the button that flips it (and the flip's failure, in place). */
export function OnOff({
  what,
  enabled,
  set,
  offNote,
}: {
  what: string;
  enabled: boolean;
  /** Turns the feature on or off. */
  set(client: SluiceClient, enable: boolean): Promise<unknown>;
  /** What being disabled means, shown while it is. */
  offNote: string;
}) {
  const action = useAction();
  // "the firewall", but "QoS" stays as it is spelled.
  const noun = /[A-Z].*[A-Z]/.test(what) ? what : what.toLowerCase();
  return (
    <>
      <div className="onoff">
        <span data-testid="enabled" className={enabled ? 'on' : 'off'}>
          {what} is {enabled ? 'enabled' : 'disabled'}
        </span>
        <button
          type="button"
          disabled={action.busy}
          onClick={() => void action.run((c) => set(c, !enabled).then(() => undefined))}
        >
          {enabled ? `Disable ${noun}` : `Enable ${noun}`}
        </button>
      </div>
      <ActionNote action={action} />
      {enabled ? null : <p className="note">{offNote}</p>}
    </>
  );
}

/** A button that runs one call (delete, clear...), its outcome shown by the action's ActionNote. */
export function RunButton({
  action,
  call,
  done,
  label = 'Delete',
}: {
  action: Action;
  call(c: SluiceClient): Promise<unknown>;
  /** What a success says. */
  done: string;
  label?: string;
}) {
  return (
    <button
      type="button"
      disabled={action.busy}
      onClick={() =>
        void action.run(async (c) => {
          await call(c);
          return done;
        })
      }
    >
      {label}
    </button>
  );
}

/** An input described as data: a select when it has `options`, else a text input. */
export interface InputDef {
  name: string;
  label: string;
  placeholder?: string;
  hint?: string;
  options?: readonly { value: string; label?: string }[];
  suggest?: readonly { value: string; label?: string }[];
}

/** The inputs `defs` describe, bound to `values` (a missing value is ''). */
export function Inputs({
  defs,
  values,
  set,
  action,
}: {
  defs: readonly InputDef[];
  values: Record<string, string>;
  set(name: string): (value: string) => void;
  action: Action;
}) {
  return (
    <>
      {defs.map(({ options, ...d }) =>
        options ? (
          <SelectInput
            key={d.name}
            {...d}
            value={values[d.name] ?? ''}
            onChange={set(d.name)}
            action={action}
            options={options}
          />
        ) : (
          <TextInput
            key={d.name}
            {...d}
            value={values[d.name] ?? ''}
            onChange={set(d.name)}
            action={action}
          />
        ),
      )}
    </>
  );
}

/** A form's values and the setter its inputs take. */
export function useValues(initial: () => Record<string, string>) {
  const [values, setValues] = useState(initial);
  const set = useCallback((k: string) => (v: string) => setValues((s) => ({ ...s, [k]: v })), []);
  return { values, setValues, set };
}
