import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import { describe, get } from './api.ts';

/** The signed-in role: a viewer sees every screen with its buttons that change things disabled. */
export const RoleContext = createContext<'admin' | 'viewer'>('viewer');
export const useCanWrite = () => useContext(RoleContext) === 'admin';

/** A value that settles `ms` after its last change (previews as you type). */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** Loads once per change of `key`; `reload` asks again. */
export function useLoad<T>(load: () => Promise<T>, key: unknown[]): { data: T | undefined; error: string; loading: boolean; reload: () => void } {
  const [data, setData] = useState<T | undefined>();
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setLoading(true);
    load()
      .then((value) => {
        if (!live) return;
        setData(value);
        setError('');
      })
      .catch((e: unknown) => live && setError(describe(e)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [...key, tick]);
  return { data, error, loading, reload: () => setTick((t) => t + 1) };
}

export function PageHead(props: { title: string; lead?: string; children?: ComponentChildren }) {
  return (
    <div class="page-head">
      <div>
        <h1>{props.title}</h1>
        {props.lead && <p class="muted lead">{props.lead}</p>}
      </div>
      {props.children && <div class="actions">{props.children}</div>}
    </div>
  );
}

export function Notice(props: { kind: 'error' | 'ok' | 'info'; children: ComponentChildren }) {
  if (!props.children) return null;
  return (
    <p class={`notice ${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </p>
  );
}

/** A confirmation in a real <dialog>: focus moves into it, Escape closes it. */
export function Confirm(props: { open: boolean; title: string; children: ComponentChildren; confirm: string; onConfirm: () => void; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog ref={ref} onClose={props.onClose} aria-labelledby="confirm-title" class="card">
      <h2 id="confirm-title">{props.title}</h2>
      <div>{props.children}</div>
      <div class="actions">
        <button type="button" class="ghost" onClick={props.onClose}>
          Cancel
        </button>
        <button type="button" class="danger" onClick={props.onConfirm}>
          {props.confirm}
        </button>
      </div>
    </dialog>
  );
}

export interface BlockSummary {
  id: string;
  kind?: string;
  version: number;
  updatedAt: string;
}

export function useBlocks() {
  return useLoad(() => get<{ blocks: BlockSummary[] }>('/v1/blocks').then((r) => r.blocks), []);
}

/** A labelled <select> of the stored blocks. */
export function BlockSelect(props: { value: string; onChange: (id: string) => void; id?: string }) {
  const { data } = useBlocks();
  const id = props.id ?? 'block-select';
  useEffect(() => {
    if (!props.value && data?.[0]) props.onChange(data[0].id);
  }, [data]);
  return (
    <div class="field">
      <label for={id}>Block</label>
      <select id={id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        {(data ?? []).map((b) => (
          <option key={b.id} value={b.id}>
            {b.id}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A datetime-local value (the browser's own zone) for an instant. */
export function localInput(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

export function money(amount: number | undefined, currency = 'USD'): string {
  if (amount === undefined || !Number.isFinite(amount)) return '—';
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
}

export function count(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '—' : new Intl.NumberFormat().format(value);
}

/** "1 open", "2 opens": a count with its noun, singular for exactly one. */
export function counted(value: number | undefined, one: string, many = `${one}s`): string {
  return `${count(value)} ${value === 1 ? one : many}`;
}

export function percent(value: number | undefined | null): string {
  return value === undefined || value === null || !Number.isFinite(value) ? '—' : `${(value * 100).toFixed(1)}%`;
}

/** Copies text and says so in a live region. */
export function CopyButton(props: { text: string; label: string }) {
  const [done, setDone] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      setDone('Copied');
    } catch {
      setDone('Select the text and copy it (the browser refused the clipboard)');
    }
    setTimeout(() => setDone(''), 2500);
  };
  return (
    <span class="copy">
      <button type="button" class="primary" onClick={copy}>
        {props.label}
      </button>
      <span role="status" class="muted">
        {done}
      </span>
    </span>
  );
}
