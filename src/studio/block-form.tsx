import type { Problem } from './api.ts';

/**
 * The common fields of a block as a form, beside its JSON: each field reads
 * and writes one JSON path, and shows the problems the server found at
 * that path (the same paths as the API's error details).
 */
export type Json = Record<string, unknown>;
type Path = Array<string | number>;

export function pathText(path: Path): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out === '' ? key : `.${key}`;
  return out;
}

export function getAt(value: unknown, path: Path): unknown {
  let at: unknown = value;
  for (const key of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string | number, unknown>)[key];
  }
  return at;
}

/** A copy of `value` with `path` set (or removed, for undefined), creating objects on the way. */
export function setAt(value: Json, path: Path, next: unknown): Json {
  const [key, ...rest] = path;
  if (key === undefined) return value;
  const copy: Json | unknown[] = Array.isArray(value) ? [...value] : { ...value };
  const child = (copy as Record<string | number, unknown>)[key];
  const updated = rest.length === 0 ? next : setAt((child && typeof child === 'object' ? child : typeof rest[0] === 'number' ? [] : {}) as Json, rest, next);
  if (updated === undefined && !Array.isArray(copy)) delete (copy as Json)[key as string];
  else (copy as Record<string | number, unknown>)[key] = updated;
  return copy as Json;
}

interface FieldProps {
  block: Json;
  path: Path;
  label: string;
  problems: Problem[];
  onChange: (block: Json) => void;
  type?: 'text' | 'color' | 'number' | 'url' | 'datetime';
  hint?: string;
  disabled?: boolean;
}

function problemsAt(problems: Problem[], path: Path): Problem[] {
  const text = pathText(path);
  return problems.filter((p) => p.path === text || p.path.startsWith(`${text}.`) || p.path.startsWith(`${text}[`));
}

export function Field(props: FieldProps) {
  const id = `f-${pathText(props.path).replace(/[^a-z0-9]+/gi, '-')}`;
  const value = getAt(props.block, props.path);
  const found = problemsAt(props.problems, props.path);
  const errorId = `${id}-error`;
  const set = (text: string) => {
    let next: unknown = text;
    if (props.type === 'number') next = text === '' ? undefined : Number(text);
    else if (text === '' && props.type !== 'text') next = undefined;
    props.onChange(setAt(props.block, props.path, next));
  };
  const common = {
    id,
    disabled: props.disabled,
    'aria-invalid': found.length > 0 ? ('true' as const) : undefined,
    'aria-describedby': found.length > 0 ? errorId : props.hint ? `${id}-hint` : undefined,
  };
  return (
    <div class={`field${found.length > 0 ? ' invalid' : ''}`}>
      <label for={id}>{props.label}</label>
      {props.type === 'color' ? (
        <div class="color-input">
          <input
            type="color"
            aria-label={`${props.label} picker`}
            value={/^#[0-9a-f]{6}$/i.test(String(value ?? '')) ? String(value) : '#000000'}
            onInput={(e) => set(e.currentTarget.value)}
            disabled={props.disabled}
          />
          <input {...common} type="text" value={String(value ?? '')} onInput={(e) => set(e.currentTarget.value)} spellcheck={false} />
        </div>
      ) : (
        <input
          {...common}
          type={(props.type === 'number' ? 'number' : props.type === 'url' ? 'url' : 'text') as 'text'}
          value={value === undefined ? '' : String(value)}
          onInput={(e) => set(e.currentTarget.value)}
        />
      )}
      {props.hint && found.length === 0 && (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
      {found.length > 0 && (
        <p class="field-error" id={errorId}>
          {found.map((p) => p.message).join('; ')}
        </p>
      )}
    </div>
  );
}

export function SelectField(props: Omit<FieldProps, 'type'> & { options: readonly string[] }) {
  const id = `f-${pathText(props.path).replace(/[^a-z0-9]+/gi, '-')}`;
  const found = problemsAt(props.problems, props.path);
  return (
    <div class={`field${found.length > 0 ? ' invalid' : ''}`}>
      <label for={id}>{props.label}</label>
      <select
        id={id}
        disabled={props.disabled}
        value={String(getAt(props.block, props.path) ?? props.options[0])}
        onChange={(e) => props.onChange(setAt(props.block, props.path, e.currentTarget.value))}
      >
        {props.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
      {found.length > 0 && <p class="field-error">{found.map((p) => p.message).join('; ')}</p>}
    </div>
  );
}

const SOURCES = ['cart', 'recently_viewed', 'purchased', 'trending', 'bestsellers', 'products'] as const;

function Colours(props: Omit<FieldProps, 'path' | 'label'> & { base: Path }) {
  return (
    <div class="row">
      <Field {...props} path={[...props.base, 'accent']} label="Accent colour" type="color" />
      <Field {...props} path={[...props.base, 'background']} label="Background" type="color" />
      <Field {...props} path={[...props.base, 'text']} label="Text colour" type="color" />
    </div>
  );
}

function Lock(props: Omit<FieldProps, 'path' | 'label'>) {
  const policy = String(getAt(props.block, ['lock', 'policy']) ?? 'live');
  return (
    <fieldset>
      <legend>Lock policy</legend>
      <div class="row">
        <div class="field">
          <label for="f-lock-policy">What a re-open shows</label>
          <select
            id="f-lock-policy"
            disabled={props.disabled}
            value={policy}
            onChange={(e) => {
              const next = e.currentTarget.value;
              props.onChange(setAt(props.block, ['lock'], next === 'sticky' ? { policy: next, minutes: 60 } : { policy: next }));
            }}
          >
            <option value="live">live: decided again at every open</option>
            <option value="sticky">sticky: the first open's choice for some minutes</option>
            <option value="first_open">first_open: frozen at the first open</option>
          </select>
        </div>
        {policy === 'sticky' && <Field {...props} path={['lock', 'minutes']} label="Minutes" type="number" />}
      </div>
    </fieldset>
  );
}

function Sources(props: Omit<FieldProps, 'path' | 'label'>) {
  const sources = (getAt(props.block, ['source']) as Json[] | undefined) ?? [];
  return (
    <fieldset>
      <legend>Sources, in order</legend>
      {sources.map((_, i) => (
        <div class="row source" key={i}>
          <SelectField {...props} path={['source', i, 'from']} label={`Source ${i + 1}`} options={SOURCES} />
          <Field {...props} path={['source', i, 'limit']} label="At most (slots)" type="number" />
          <button
            type="button"
            class="ghost small"
            disabled={props.disabled || sources.length < 2}
            onClick={() =>
              props.onChange(
                setAt(
                  props.block,
                  ['source'],
                  sources.filter((__, j) => j !== i),
                ),
              )
            }
            aria-label={`Remove source ${i + 1}`}
          >
            Remove
          </button>
        </div>
      ))}
      <button
        type="button"
        class="ghost small"
        disabled={props.disabled || sources.length >= 10}
        onClick={() => props.onChange(setAt(props.block, ['source'], [...sources, { from: 'bestsellers' }]))}
      >
        Add a source
      </button>
    </fieldset>
  );
}

function Variant(props: Omit<FieldProps, 'path' | 'label'> & { base: Path; title: string; weight?: boolean }) {
  return (
    <div class="variant">
      <h4>{props.title}</h4>
      <div class="row">
        <Field {...props} path={[...props.base, 'id']} label="Id" />
        <Field {...props} path={[...props.base, 'headline']} label="Headline" type="text" />
        {props.weight && <Field {...props} path={[...props.base, 'weight']} label="Weight" type="number" />}
      </div>
      <div class="row">
        <Field {...props} path={[...props.base, 'cta']} label="Button" type="text" />
        <Field {...props} path={[...props.base, 'url']} label="Click goes to" type="url" />
        <Field {...props} path={[...props.base, 'background', 'color']} label="Background" type="color" />
      </div>
    </div>
  );
}

function Variants(props: Omit<FieldProps, 'path' | 'label'>) {
  const entries = (getAt(props.block, ['variants']) as Json[] | undefined) ?? [];
  return (
    <fieldset>
      <legend>Variants, rules and splits</legend>
      <p class="hint">The first entry whose rule matches is shown; a split divides subscribers between its arms, with a holdout that sees the default.</p>
      {entries.map((entry, i) => {
        const split = entry.split as { arms?: Json[] } | undefined;
        return (
          <div class="entry" key={i}>
            {split ? (
              <>
                <div class="row">
                  <Field {...props} path={['variants', i, 'id']} label={`Split ${i + 1} id`} />
                  <Field {...props} path={['variants', i, 'split', 'holdout']} label="Holdout %" type="number" />
                </div>
                {(split.arms ?? []).map((_, a) => (
                  <Variant {...props} key={a} base={['variants', i, 'split', 'arms', a]} title={`Arm ${a + 1}`} weight />
                ))}
              </>
            ) : (
              <>
                <Variant {...props} base={['variants', i]} title={`Variant ${i + 1}`} />
                <p class="hint">
                  Rule: <code>{JSON.stringify(entry.when ?? true)}</code> (edit it in the JSON)
                </p>
              </>
            )}
          </div>
        );
      })}
      <Variant {...props} base={['default']} title="Default variant" />
    </fieldset>
  );
}

/** The form for one block, by kind. */
export function BlockForm(props: Omit<FieldProps, 'path' | 'label'>) {
  const kind = String(getAt(props.block, ['kind']) ?? 'product-grid');
  return (
    <div class="form">
      {kind !== 'hero' && <Field {...props} path={['params', 'headline']} label="Headline" type="text" />}
      {kind === 'product-grid' && <Field {...props} path={['params', 'cta']} label="Button text" type="text" />}
      {kind === 'banner' && <Field {...props} path={['params', 'subline']} label="Second line" type="text" />}
      {kind !== 'hero' && <Colours {...props} base={['params']} />}
      {kind === 'product-grid' && (
        <>
          <Field {...props} path={['slots']} label="Products shown (slots)" type="number" />
          <Sources {...props} />
        </>
      )}
      {kind === 'hero' && <Variants {...props} />}
      {kind === 'countdown' && (
        <div class="row">
          <Field {...props} path={['deadline', 'at']} label="Deadline" type="text" hint="Wall-clock time, e.g. 2026-12-24T23:59" />
          <Field {...props} path={['deadline', 'zone']} label="Time zone" type="text" hint="IANA zone, e.g. America/New_York" />
        </div>
      )}
      {(kind === 'countdown' || kind === 'banner') && <Field {...props} path={['url']} label="Click goes to" type="url" />}
      <div class="row">
        <Field {...props} path={['size', 'width']} label="Width (px)" type="number" />
        <Field {...props} path={['size', 'height']} label="Height (px)" type="number" />
      </div>
      <Lock {...props} />
      <Field {...props} path={['fallback', 'url']} label="Fallback click URL" type="url" hint="Where a click goes when there is nothing personal to show." />
      <Field {...props} path={['alt']} label="Alt text" type="text" hint="What a reader with images off, or a screen reader, gets. Unset: the headline." />
    </div>
  );
}
