import { useEffect, useState } from 'preact/hooks';
import { api, describe } from './api.ts';
import { BlockSelect, CopyButton, Notice, PageHead } from './ui.tsx';

/** `POST /v1/links` (docs/links.md): the HTML to paste into each ESP, with its merge tags. */
const ESPS = [
  ['klaviyo', 'Klaviyo'],
  ['mailchimp', 'Mailchimp'],
  ['braze', 'Braze'],
  ['sfmc', 'Salesforce Marketing Cloud'],
  ['hubspot', 'HubSpot'],
  ['customerio', 'Customer.io'],
  ['iterable', 'Iterable'],
] as const;

interface Links {
  block: string;
  esp: string;
  sliced: boolean;
  html: string;
  parts: Array<{ part: string; image_url: string; click_url: string; width: number; height: number; alt: string }>;
  notes: string[];
}

export function EmbedPage(props: { initialBlock?: string | undefined }) {
  const [blockId, setBlockId] = useState(props.initialBlock ?? '');
  const [esp, setEsp] = useState<string>('klaviyo');
  /** Unset: the server slices what it can (grids). */
  const [sliced, setSliced] = useState<boolean | undefined>(undefined);
  const [links, setLinks] = useState<Links | undefined>();
  const [error, setError] = useState('');
  useEffect(() => {
    if (!blockId) return;
    let live = true;
    setError('');
    api<Links>('POST', '/v1/links', { block: blockId, esp, ...(sliced === undefined ? {} : { sliced }), base_url: location.origin })
      .then((answer) => live && setLinks(answer))
      .catch((e: unknown) => {
        if (!live) return;
        setLinks(undefined);
        setError(describe(e));
      });
    return () => {
      live = false;
    };
  }, [blockId, esp, sliced]);
  const espLabel = ESPS.find(([id]) => id === esp)?.[1] ?? esp;
  return (
    <>
      <PageHead title="Embed" lead="Paste this HTML into your email template: the image is drawn at each open, and each click goes where that open pointed." />
      <div class="card controls">
        <div class="row">
          <BlockSelect value={blockId} onChange={setBlockId} id="embed-block" />
          <div class="field">
            <label for="embed-esp">Email platform</label>
            <select id="embed-esp" value={esp} onChange={(e) => setEsp(e.currentTarget.value)}>
              {ESPS.map(([id, label]) => (
                <option key={id} value={id}>
                  {label}
                </option>
              ))}
            </select>
          </div>
          <div class="field end">
            <label class="check">
              <input type="checkbox" checked={sliced ?? links?.sliced ?? false} onChange={(e) => setSliced(e.currentTarget.checked)} /> Slice a grid into one link per product
            </label>
          </div>
        </div>
      </div>
      <Notice kind="error">{error}</Notice>
      {links && (
        <section class="card" aria-labelledby="snippet-title">
          <div class="preview-head">
            <h2 id="snippet-title">HTML for {espLabel}</h2>
            <CopyButton text={links.html} label={`Copy ${espLabel} HTML`} />
          </div>
          <label for="snippet" class="sr-only">
            HTML for {espLabel}
          </label>
          <textarea id="snippet" class="snippet" readOnly value={links.html} rows={Math.min(18, links.html.split('\n').length + 1)} spellcheck={false} />
          {links.notes.length > 0 && (
            <ul class="notes">
              {links.notes.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          )}
          <h3>Parts</h3>
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Part</th>
                <th scope="col">Size</th>
                <th scope="col">Image URL</th>
                <th scope="col">Click URL</th>
              </tr>
            </thead>
            <tbody>
              {links.parts.map((p) => (
                <tr key={p.part}>
                  <th scope="row">{p.part}</th>
                  <td>
                    {p.width}×{p.height}
                  </td>
                  <td class="url">{p.image_url}</td>
                  <td class="url">{p.click_url}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}
