import { useState } from 'preact/hooks';
import { ApiError, describe, get, query } from './api.ts';
import type { Json } from './block-form.tsx';
import { BlockSelect, fromLocalInput, localInput, Notice, PageHead, useLoad } from './ui.tsx';

/**
 * The block as several subscribers × one moment × each client × each
 * variant: `GET /v1/preview/<id>.png` and its `.json` twin, which go through
 * the open pipeline with writing switched off.
 */
const CLIENTS = [
  ['person', 'A person (web, iOS, Android)'],
  ['apple', 'Apple Mail prefetch'],
  ['gmail', 'Gmail image proxy'],
  ['outlook', 'Outlook (first frame)'],
] as const;

interface Account {
  image: string;
  personal: boolean;
  requester: string;
  fallback?: string;
  variant?: string;
  clicks: Array<{ slot: number; url: string; via: string; product?: string }>;
  products?: Array<{ id: string; title: string } | null>;
}

function variantsOf(block: Json | undefined): string[] {
  if (block?.kind !== 'hero') return [];
  const ids: string[] = [];
  for (const entry of (block.variants as Json[] | undefined) ?? []) {
    const arms = (entry.split as { arms?: Json[] } | undefined)?.arms;
    if (arms) for (const arm of arms) ids.push(String(arm.id));
    else ids.push(String(entry.id));
  }
  ids.push(String((block.default as Json | undefined)?.id ?? 'default'));
  return ids;
}

function Cell(props: { block: string; subject: string; at: string | undefined; client: string; variant: string | undefined }) {
  const q = query({ u: props.subject, at: props.at, client: props.client, variant: props.variant });
  const account = useLoad(() => get<Account>(`/v1/preview/${encodeURIComponent(props.block)}.json${q}${q ? '&' : '?'}image=1`), [q, props.block]);
  const who = props.subject || 'anonymous';
  return (
    <figure class="cell">
      {account.data ? (
        <img
          src={account.data.image}
          data-preview={`/v1/preview/${encodeURIComponent(props.block)}.png${q}`}
          alt={`${props.block} for ${who}, ${props.client}${props.variant ? `, variant ${props.variant}` : ''}`}
        />
      ) : (
        <div class="cell-loading" role="status">
          {account.error ? '' : 'Drawing…'}
        </div>
      )}
      <figcaption>
        {account.error && <span class="field-error">{account.error}</span>}
        {account.data && (
          <>
            <span class={`badge ${account.data.personal ? 'ok' : ''}`}>
              {account.data.personal ? 'personal' : account.data.fallback ? `fallback: ${account.data.fallback}` : 'generic'}
            </span>
            <ul class="clicks">
              {account.data.clicks.map((c) => (
                <li key={c.slot}>
                  <span class="slot">{c.slot + 1}</span> {account.data?.products?.[c.slot]?.title ?? account.data?.variant ?? ''} → <span class="url">{c.url}</span>
                </li>
              ))}
            </ul>
          </>
        )}
      </figcaption>
    </figure>
  );
}

function tomorrowAt18(): Date {
  const at = new Date();
  at.setDate(at.getDate() + 1);
  at.setHours(18, 0, 0, 0);
  return at;
}

export function PreviewGrid(props: { initialBlock?: string | undefined }) {
  const [blockId, setBlockId] = useState(props.initialBlock ?? '');
  const [subjects, setSubjects] = useState<string[]>(['']);
  const [search, setSearch] = useState('');
  const [searchError, setSearchError] = useState('');
  const [time, setTime] = useState('');
  const [clients, setClients] = useState<string[]>(['person', 'apple', 'gmail', 'outlook']);
  const block = useLoad(() => (blockId ? get<Json>(`/v1/blocks/${encodeURIComponent(blockId)}`) : Promise.resolve(undefined)), [blockId]);
  const variants = variantsOf(block.data);
  const at = fromLocalInput(time);

  const addSubscriber = async (event: Event) => {
    event.preventDefault();
    const id = search.trim();
    setSearchError('');
    if (!id || subjects.includes(id)) return;
    try {
      await get(`/v1/profiles/${encodeURIComponent(id)}`);
      setSubjects([...subjects, id]);
      setSearch('');
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        setSubjects([...subjects, id]);
        setSearchError(`No profile yet for ${id}: shown as a subscriber we know nothing about.`);
        setSearch('');
      } else setSearchError(describe(e));
    }
  };

  return (
    <>
      <PageHead title="Preview grid" lead="What each subscriber would see, at any time, in each mail client, for every variant. Previews write nothing." />
      <div class="card controls">
        <div class="row">
          <BlockSelect value={blockId} onChange={setBlockId} id="grid-block" />
          <div class="field">
            <label for="grid-time">Opened at</label>
            <input id="grid-time" type="datetime-local" value={time} onInput={(e) => setTime(e.currentTarget.value)} />
          </div>
          <div class="field end">
            <div class="buttons">
              <button type="button" class="ghost" onClick={() => setTime(localInput(tomorrowAt18()))}>
                Tomorrow 18:00
              </button>
              <button type="button" class="ghost" onClick={() => setTime('')}>
                Now
              </button>
            </div>
          </div>
        </div>
        <form class="row" onSubmit={addSubscriber}>
          <div class="field">
            <label for="grid-subscriber">Add a subscriber by id</label>
            <input id="grid-subscriber" value={search} onInput={(e) => setSearch(e.currentTarget.value)} placeholder="user id or email" autocomplete="off" />
          </div>
          <div class="field end">
            <button type="submit" class="ghost">
              Add
            </button>
          </div>
          <fieldset class="clients">
            <legend>Clients</legend>
            {CLIENTS.map(([id, label]) => (
              <label key={id} class="check">
                <input type="checkbox" checked={clients.includes(id)} onChange={(e) => setClients(e.currentTarget.checked ? [...clients, id] : clients.filter((c) => c !== id))} />{' '}
                {label}
              </label>
            ))}
          </fieldset>
        </form>
        <Notice kind="info">{searchError}</Notice>
        <ul class="chips" aria-label="Subscribers in the grid">
          {subjects.map((s) => (
            <li key={s}>
              {s || 'anonymous'}
              {s && (
                <button type="button" class="chip-remove" aria-label={`Remove ${s}`} onClick={() => setSubjects(subjects.filter((x) => x !== s))}>
                  ×
                </button>
              )}
            </li>
          ))}
        </ul>
      </div>
      {blockId && (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a region that scrolls sideways must take focus, so a keyboard can scroll it
        <section class="grid-scroll" aria-label="Preview grid" tabIndex={0}>
          <table class="grid">
            <thead>
              <tr>
                <th scope="col">Subscriber</th>
                {clients.flatMap((c) =>
                  (variants.length > 0 ? variants : ['']).map((v) => (
                    <th scope="col" key={c + v}>
                      {CLIENTS.find(([id]) => id === c)?.[1]}
                      {v && <span class="muted"> · {v}</span>}
                    </th>
                  )),
                )}
              </tr>
            </thead>
            <tbody>
              {subjects.map((s) => (
                <tr key={s}>
                  <th scope="row">{s || 'anonymous'}</th>
                  {clients.flatMap((c) =>
                    (variants.length > 0 ? variants : ['']).map((v) => (
                      <td key={c + v}>
                        <Cell block={blockId} subject={s} at={at} client={c} variant={v || undefined} />
                      </td>
                    )),
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}
