/// <reference types="vite/client" />
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, describe, get, request, type Problem } from './api.ts';
import { BlockForm, type Json } from './block-form.tsx';
import { CodeEditor } from './code-editor.tsx';
import { weekTotals } from './report-data.ts';
import { Confirm, count, Notice, PageHead, useBlocks, useCanWrite, useDebounced, useLoad } from './ui.tsx';

/** The starter blocks that ship in templates/*.json, built into the page. */
const STARTERS = Object.entries(import.meta.glob('../../templates/*.json', { eager: true, import: 'default' }) as Record<string, Json>)
  .map(([file, block]) => ({ name: file.replace(/^.*\/|\.json$/g, ''), block }))
  .sort((a, b) => a.name.localeCompare(b.name));

const KIND_LABELS: Record<string, string> = { 'product-grid': 'Product grid', hero: 'Hero', countdown: 'Countdown', banner: 'Banner' };
const kindLabel = (kind: unknown) => KIND_LABELS[String(kind ?? 'product-grid')] ?? String(kind);

function withoutStoredFields(block: Json): Json {
  const { version: _v, updatedAt: _u, $schema: _s, ...rest } = block;
  return rest;
}

function BlockRow(props: { id: string; kind: string | undefined; version: number; updatedAt: string }) {
  const totals = useLoad(() => weekTotals(props.id), [props.id, props.version]);
  return (
    <tr>
      <th scope="row">
        <a href={`#/blocks/${encodeURIComponent(props.id)}`}>{props.id}</a>
      </th>
      <td>
        <span class={`kind kind-${props.kind ?? 'product-grid'}`}>{kindLabel(props.kind)}</span>
      </td>
      <td class="num">{totals.data ? count(totals.data.people) : '…'}</td>
      <td class="num">{totals.data ? count(totals.data.clicks) : '…'}</td>
      <td>
        v{props.version} · {new Date(props.updatedAt).toLocaleString()}
      </td>
      <td class="row-actions">
        <a href={`#/grid/${encodeURIComponent(props.id)}`}>Preview</a>
        <a href={`#/embed/${encodeURIComponent(props.id)}`}>Embed</a>
        <a href={`#/reports/${encodeURIComponent(props.id)}`}>Report</a>
      </td>
    </tr>
  );
}

function NewBlock(props: { existing: string[] }) {
  const canWrite = useCanWrite();
  const [starter, setStarter] = useState(STARTERS.find((s) => s.name === 'cart-reminder')?.name ?? STARTERS[0]?.name ?? '');
  const [id, setId] = useState('');
  const [error, setError] = useState('');
  const create = async (event: Event) => {
    event.preventDefault();
    setError('');
    const template = STARTERS.find((s) => s.name === starter);
    if (!template) return;
    if (props.existing.includes(id)) {
      setError(`A block named ${id} already exists: pick another id, or open it from the list.`);
      return;
    }
    try {
      await api('PUT', `/v1/blocks/${encodeURIComponent(id)}`, { ...withoutStoredFields(template.block), id });
      location.hash = `#/blocks/${encodeURIComponent(id)}`;
    } catch (e) {
      setError(describe(e));
    }
  };
  return (
    <form class="card new-block" onSubmit={create} aria-labelledby="new-title">
      <h2 id="new-title">New block from a starter</h2>
      <div class="row">
        <div class="field">
          <label for="starter">Starter</label>
          <select id="starter" value={starter} onChange={(e) => setStarter(e.currentTarget.value)}>
            {STARTERS.map((s) => (
              <option key={s.name} value={s.name}>
                {s.name} · {kindLabel(s.block.kind)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="new-id">Block id</label>
          <input
            id="new-id"
            value={id}
            onInput={(e) => setId(e.currentTarget.value.toLowerCase())}
            pattern="[a-z0-9][a-z0-9_\-]{0,63}"
            required
            placeholder="spring-cart"
            aria-describedby="new-id-hint"
          />
          <p class="hint" id="new-id-hint">
            Lowercase letters, digits, - and _. It is in every email's image URL.
          </p>
        </div>
        <div class="field end">
          <button class="primary" type="submit" disabled={!canWrite || id === ''}>
            Create block
          </button>
        </div>
      </div>
      <Notice kind="error">{error}</Notice>
    </form>
  );
}

export function BlockList() {
  const blocks = useBlocks();
  return (
    <>
      <PageHead title="Blocks" lead="Live email content: each block is one image URL in your emails, drawn again at every open." />
      <NewBlock existing={(blocks.data ?? []).map((b) => b.id)} />
      <Notice kind="error">{blocks.error}</Notice>
      <div class="card">
        <table class="table">
          <caption class="sr-only">Blocks, with the people who opened them and the clicks of the last 7 days</caption>
          <thead>
            <tr>
              <th scope="col">Block</th>
              <th scope="col">Kind</th>
              <th scope="col" class="num">
                People, 7 days
              </th>
              <th scope="col" class="num">
                Clicks, 7 days
              </th>
              <th scope="col">Version</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(blocks.data ?? []).map((b) => (
              <BlockRow key={b.id} id={b.id} kind={b.kind} version={b.version} updatedAt={b.updatedAt} />
            ))}
            {blocks.data?.length === 0 && (
              <tr>
                <td colSpan={6} class="muted">
                  No blocks yet: create one from a starter above.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </>
  );
}

interface Version {
  version: number;
  updatedAt: string;
  changes: string[];
}

function Versions(props: { id: string; current: number; onRolledBack: () => void }) {
  const canWrite = useCanWrite();
  const versions = useLoad(() => get<{ versions: Version[] }>(`/v1/blocks/${encodeURIComponent(props.id)}/versions`).then((r) => r.versions), [props.id, props.current]);
  const [error, setError] = useState('');
  const rollback = async (version: number) => {
    setError('');
    try {
      await api('POST', `/v1/blocks/${encodeURIComponent(props.id)}/rollback`, { version });
      props.onRolledBack();
    } catch (e) {
      setError(describe(e));
    }
  };
  return (
    <section class="card" aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      <Notice kind="error">{versions.error || error}</Notice>
      <ol class="versions">
        {(versions.data ?? []).map((v) => (
          <li key={v.version}>
            <div>
              <strong>v{v.version}</strong> <span class="muted">{new Date(v.updatedAt).toLocaleString()}</span>
              {v.version === props.current && <span class="badge">current</span>}
            </div>
            <div class="muted small">
              {v.changes.length > 0 ? `Changed ${v.changes.slice(0, 6).join(', ')}${v.changes.length > 6 ? ` and ${v.changes.length - 6} more` : ''}` : 'First version'}
            </div>
            {v.version !== props.current && (
              <button type="button" class="ghost small" disabled={!canWrite} onClick={() => rollback(v.version)}>
                Roll back to v{v.version}
              </button>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}

interface PreviewAccount {
  personal: boolean;
  fallback?: string;
  clicks: Array<{ slot: number; url: string; via: string; product?: string }>;
  products?: Array<{ id: string; title: string } | null>;
  variant?: string;
}

/** The draft as the server would draw it, as you type: POST /v1/preview/<id>.png, which stores nothing. */
function LivePreview(props: { id: string; text: string; onProblems: (problems: Problem[], message: string) => void }) {
  const draft = useDebounced(props.text, 350);
  const [src, setSrc] = useState('');
  const [account, setAccount] = useState<PreviewAccount | undefined>();
  const [subject, setSubject] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let live = true;
    let body: unknown;
    try {
      body = JSON.parse(draft);
    } catch (e) {
      props.onProblems([], `The JSON does not parse: ${describe(e)}`);
      return;
    }
    setBusy(true);
    const q = subject ? `?u=${encodeURIComponent(subject)}` : '';
    Promise.all([
      request('POST', `/v1/preview/${encodeURIComponent(props.id)}.png${q}`, body),
      api<PreviewAccount>('POST', `/v1/preview/${encodeURIComponent(props.id)}.json${q}`, body),
    ])
      .then(async ([image, json]) => {
        if (!live) return;
        const url = URL.createObjectURL(await image.blob());
        setSrc((old) => {
          if (old) URL.revokeObjectURL(old);
          return url;
        });
        setAccount(json);
        props.onProblems([], '');
      })
      .catch((e: unknown) => {
        if (!live) return;
        props.onProblems(e instanceof ApiError ? e.problems.map((p) => ({ ...p, path: p.path.replace(/^block\./, '') })) : [], describe(e));
      })
      .finally(() => live && setBusy(false));
    return () => {
      live = false;
    };
  }, [draft, subject]);
  return (
    <section class="card preview" aria-labelledby="preview-title" aria-busy={busy}>
      <div class="preview-head">
        <h2 id="preview-title">Live preview</h2>
        <div class="field inline">
          <label for="preview-subject">As subscriber</label>
          <input id="preview-subject" value={subject} onInput={(e) => setSubject(e.currentTarget.value)} placeholder="anonymous" />
        </div>
      </div>
      <div class="preview-frame">{src ? <img src={src} alt={`Preview of ${props.id} as it would open now`} data-testid="live-preview" /> : <p class="muted">Drawing…</p>}</div>
      {account && (
        <ul class="clicks" aria-label="Where each click goes">
          {account.clicks.map((click) => (
            <li key={click.slot}>
              <span class="slot">Slot {click.slot + 1}</span> {account.products?.[click.slot]?.title ?? account.variant ?? ''} →{' '}
              <a href={click.url} target="_blank" rel="noreferrer noopener">
                {click.url}
              </a>
              {click.via === 'fallback' && <span class="badge">fallback</span>}
            </li>
          ))}
        </ul>
      )}
      <p class="muted small">A preview writes nothing: no open is counted, no decision is locked.</p>
    </section>
  );
}

export function BlockEditor(props: { id: string }) {
  const canWrite = useCanWrite();
  const stored = useLoad(() => get<Json>(`/v1/blocks/${encodeURIComponent(props.id)}`), [props.id]);
  const [text, setText] = useState('');
  const [problems, setProblems] = useState<Problem[]>([]);
  const [previewError, setPreviewError] = useState('');
  const [saved, setSaved] = useState('');
  const [saveError, setSaveError] = useState('');
  const [confirmDelete, setConfirmDelete] = useState(false);
  const version = Number(stored.data?.version ?? 0);
  useEffect(() => {
    if (stored.data) setText(JSON.stringify(withoutStoredFields(stored.data), null, 2));
  }, [stored.data]);
  const block = useMemo(() => {
    try {
      return JSON.parse(text) as Json;
    } catch {
      return undefined;
    }
  }, [text]);
  const original = useMemo(() => (stored.data ? JSON.stringify(withoutStoredFields(stored.data), null, 2) : ''), [stored.data]);
  const dirty = text !== original;

  const save = async () => {
    setSaved('');
    setSaveError('');
    try {
      const answer = await api<{ version: number }>('PUT', `/v1/blocks/${encodeURIComponent(props.id)}`, JSON.parse(text));
      setSaved(`Saved as version ${answer.version}. Emails already sent show it at their next open.`);
      stored.reload();
    } catch (e) {
      if (e instanceof ApiError) setProblems(e.problems.map((p) => ({ ...p, path: p.path.replace(/^block\./, '') })));
      setSaveError(describe(e));
    }
  };
  const remove = async () => {
    setConfirmDelete(false);
    try {
      await api('DELETE', `/v1/blocks/${encodeURIComponent(props.id)}`);
      location.hash = '#/blocks';
    } catch (e) {
      setSaveError(describe(e));
    }
  };
  if (stored.error) return <Notice kind="error">{stored.error}</Notice>;
  if (!stored.data) return <p class="loading">Loading…</p>;
  return (
    <>
      <PageHead title={props.id} lead={`${kindLabel(stored.data.kind)} · version ${version}${dirty ? ' · unsaved changes' : ''}`}>
        <a class="button ghost" href="#/blocks">
          All blocks
        </a>
        <button type="button" class="danger ghost" disabled={!canWrite} onClick={() => setConfirmDelete(true)}>
          Delete
        </button>
        <button type="button" class="primary" disabled={!canWrite || !dirty || !block} onClick={save}>
          Save
        </button>
      </PageHead>
      <Notice kind="ok">{saved}</Notice>
      <Notice kind="error">
        {saveError || (problems.length === 0 ? previewError : problems.length > 0 ? `${problems.length} problem${problems.length > 1 ? 's' : ''}: see the marked fields` : '')}
      </Notice>
      {problems.length > 0 && (
        <ul class="problems" aria-label="Problems in this block">
          {problems.map((p) => (
            <li key={p.path + p.message}>
              <code>{p.path}</code> {p.message}
            </li>
          ))}
        </ul>
      )}
      <div class="editor-grid">
        <section class="card" aria-labelledby="form-title">
          <h2 id="form-title">Content</h2>
          {block ? (
            <BlockForm block={block} problems={problems} disabled={!canWrite} onChange={(next) => setText(JSON.stringify(next, null, 2))} />
          ) : (
            <p class="muted">Fix the JSON to use the form.</p>
          )}
        </section>
        <section class="card" aria-labelledby="json-title">
          <h2 id="json-title">JSON</h2>
          <CodeEditor value={text} onChange={setText} label={`Block ${props.id} as JSON`} mode="block" readOnly={!canWrite} />
          <p class="muted small">Checked against the block schema as you type; hover a field for its documentation.</p>
        </section>
        <div class="side">
          <LivePreview
            id={props.id}
            text={text}
            onProblems={(found, message) => {
              setProblems(found);
              setPreviewError(message);
            }}
          />
          <Versions id={props.id} current={version} onRolledBack={stored.reload} />
        </div>
      </div>
      <Confirm open={confirmDelete} title={`Delete ${props.id}?`} confirm="Delete block" onConfirm={remove} onClose={() => setConfirmDelete(false)}>
        <p>Emails already sent with this block will show a blank image and their clicks go to the default URL. This cannot be undone.</p>
      </Confirm>
    </>
  );
}
