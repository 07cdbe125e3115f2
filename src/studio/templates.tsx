import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, describe, get, request } from './api.ts';
import { CodeEditor, type LineProblem } from './code-editor.tsx';
import { BlockSelect, Notice, PageHead, useCanWrite, useDebounced, useLoad } from './ui.tsx';

/**
 * Templates: HTML with Liquid, checked and drawn as you type (a draft is
 * previewed through `POST /v1/preview/<block>.png?template=<name>`, which
 * stores nothing), saved with `PUT /v1/templates/:name`.
 */
interface TemplateList {
  templates: Array<{ name: string; version: number; updatedAt: string }>;
  builtIn: string[];
}

function lineProblems(error: unknown): LineProblem[] {
  if (!(error instanceof ApiError)) return [];
  return (error.problems as Array<{ message: string; line?: number; column?: number }>).map((p) => ({ line: p.line ?? 1, column: p.column ?? 1, message: p.message }));
}

export function TemplatesPage(props: { initialName?: string | undefined }) {
  const canWrite = useCanWrite();
  const list = useLoad(() => get<TemplateList>('/v1/templates'), []);
  const [name, setName] = useState(props.initialName ?? 'product-grid');
  const [source, setSource] = useState('');
  const [loaded, setLoaded] = useState('');
  const [blockId, setBlockId] = useState('');
  const [problems, setProblems] = useState<LineProblem[]>([]);
  const [message, setMessage] = useState('');
  const [saved, setSaved] = useState('');
  const [src, setSrc] = useState('');
  const draft = useDebounced(source, 400);
  const names = [...new Set([...(list.data?.builtIn ?? []), ...(list.data?.templates.map((t) => t.name) ?? [])])].sort();

  useEffect(() => {
    let live = true;
    request('GET', `/v1/templates/${encodeURIComponent(name)}`)
      .then((r) => r.text())
      .then((text) => {
        if (!live) return;
        setSource(text);
        setLoaded(text);
      })
      .catch((e: unknown) => live && setMessage(describe(e)));
    return () => {
      live = false;
    };
  }, [name]);

  useEffect(() => {
    if (!draft || !blockId) return;
    let live = true;
    request('POST', `/v1/preview/${encodeURIComponent(blockId)}.png?template=${encodeURIComponent(name)}`, draft, true)
      .then((r) => r.blob())
      .then((blob) => {
        if (!live) return;
        setSrc((old) => {
          if (old) URL.revokeObjectURL(old);
          return URL.createObjectURL(blob);
        });
        setProblems([]);
        setMessage('');
      })
      .catch((e: unknown) => {
        if (!live) return;
        setProblems(lineProblems(e));
        setMessage(describe(e));
      });
    return () => {
      live = false;
    };
  }, [draft, blockId, name]);

  const save = async () => {
    setSaved('');
    try {
      const answer = await api<{ version: number }>('PUT', `/v1/templates/${encodeURIComponent(name)}`, source);
      setSaved(`Saved ${name} as version ${answer.version}.`);
      setLoaded(source);
      list.reload();
    } catch (e) {
      setProblems(lineProblems(e));
      setMessage(describe(e));
    }
  };

  return (
    <>
      <PageHead title="Templates" lead="The HTML and Liquid a block is drawn with. Problems are marked at their line and column as you type.">
        <button type="button" class="primary" disabled={!canWrite || source === loaded || problems.length > 0} onClick={save}>
          Save template
        </button>
      </PageHead>
      <div class="card controls">
        <div class="row">
          <div class="field">
            <label for="template-name">Template</label>
            <select id="template-name" value={name} onChange={(e) => setName(e.currentTarget.value)}>
              {names.map((n) => (
                <option key={n} value={n}>
                  {n}
                  {list.data?.templates.some((t) => t.name === n) ? ' (edited)' : ''}
                </option>
              ))}
            </select>
          </div>
          <BlockSelect value={blockId} onChange={setBlockId} id="template-block" />
        </div>
      </div>
      <Notice kind="ok">{saved}</Notice>
      <Notice kind="error">{message}</Notice>
      <div class="two editor-first">
        <section class="card" aria-labelledby="template-source-title">
          <h2 id="template-source-title">{name}.html</h2>
          <CodeEditor value={source} onChange={setSource} label={`Template ${name}`} mode="template" problems={problems} readOnly={!canWrite} />
        </section>
        <section class="card preview" aria-labelledby="template-preview-title">
          <h2 id="template-preview-title">Preview with {blockId || 'a block'}</h2>
          <p class="muted small">Drawn with this draft, whatever template the block names; nothing is saved until you save.</p>
          <div class="preview-frame">{src ? <img src={src} alt={`Block ${blockId} drawn with the draft of ${name}`} /> : <p class="muted">Choose a block to draw.</p>}</div>
        </section>
      </div>
    </>
  );
}
