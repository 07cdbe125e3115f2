import { useState } from 'preact/hooks';
import { api, ApiError, describe, get } from './api.ts';
import { Confirm, count, Notice, PageHead, useBlocks, useCanWrite, useLoad } from './ui.tsx';

/** One subscriber: the profile opentime keeps, what each block shows them now, and the privacy actions. */
interface ProfileAnswer {
  key: string;
  profile: {
    firstSeen: number;
    lastSeen: number;
    viewed: Array<{ id: string }>;
    cart: Array<{ id: string; quantity?: number }>;
    purchased: Array<{ id: string }>;
    orders: number;
    lastCategory?: { name: string };
    traits: Record<string, unknown>;
  };
}

function Shows(props: { subject: string }) {
  const blocks = useBlocks();
  return (
    <section class="card" aria-labelledby="shows-title">
      <h2 id="shows-title">What each block shows them now</h2>
      <div class="gallery wide">
        {(blocks.data ?? []).map((b) => (
          <figure key={b.id}>
            <img src={`/v1/preview/${encodeURIComponent(b.id)}.png?u=${encodeURIComponent(props.subject)}`} alt={`${b.id} as ${props.subject} would see it now`} loading="lazy" />
            <figcaption>
              <a href={`#/grid/${encodeURIComponent(b.id)}`}>{b.id}</a>
            </figcaption>
          </figure>
        ))}
      </div>
    </section>
  );
}

export function SubscribersPage() {
  const canWrite = useCanWrite();
  const [input, setInput] = useState('');
  const [subject, setSubject] = useState('');
  const [confirm, setConfirm] = useState<'delete' | 'suppress' | undefined>();
  const [done, setDone] = useState('');
  const [error, setError] = useState('');
  const profile = useLoad(async () => {
    if (!subject) return undefined;
    try {
      return await get<ProfileAnswer>(`/v1/profiles/${encodeURIComponent(subject)}`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }
  }, [subject]);
  const suppression = useLoad(
    () => (subject ? get<{ suppressed: boolean; source?: string }>(`/v1/suppressions/${encodeURIComponent(subject)}`) : Promise.resolve(undefined)),
    [subject, done],
  );
  const act = async () => {
    const what = confirm;
    setConfirm(undefined);
    setError('');
    try {
      if (what === 'delete') {
        await api('DELETE', `/v1/subjects/${encodeURIComponent(subject)}`);
        setDone(`Everything kept about ${subject} was deleted.`);
      } else {
        await api('POST', '/v1/suppressions', { ids: [subject] });
        setDone(`${subject} is suppressed: opens show them the generic block and nothing is recorded.`);
      }
      profile.reload();
    } catch (e) {
      setError(describe(e));
    }
  };
  const p = profile.data?.profile;
  return (
    <>
      <PageHead title="Subscribers" lead="Look one up by the id your emails carry in u=: what we know, and what each block shows them." />
      <form
        class="card controls"
        onSubmit={(e) => {
          e.preventDefault();
          setDone('');
          setSubject(input.trim());
        }}
      >
        <div class="row">
          <div class="field grow">
            <label for="subscriber-id">Subscriber id or email</label>
            <input id="subscriber-id" value={input} onInput={(e) => setInput(e.currentTarget.value)} autocomplete="off" />
          </div>
          <div class="field end">
            <button class="primary" type="submit" disabled={!input.trim()}>
              Look up
            </button>
          </div>
        </div>
      </form>
      <Notice kind="ok">{done}</Notice>
      <Notice kind="error">{profile.error || error}</Notice>
      {subject && profile.data === null && <Notice kind="info">{`No profile for ${subject}: they have sent no events yet, or were deleted.`}</Notice>}
      {subject && (
        <div class="two">
          <section class="card" aria-labelledby="profile-title">
            <h2 id="profile-title">{subject}</h2>
            {suppression.data?.suppressed && <p class="badge warn">Suppressed ({suppression.data.source ?? 'admin'})</p>}
            {p && (
              <dl class="facts">
                <dt>First seen</dt>
                <dd>{new Date(p.firstSeen).toLocaleString()}</dd>
                <dt>Last seen</dt>
                <dd>{new Date(p.lastSeen).toLocaleString()}</dd>
                <dt>Viewed</dt>
                <dd>{p.viewed.map((v) => v.id).join(', ') || '—'}</dd>
                <dt>In cart</dt>
                <dd>{p.cart.map((c) => c.id).join(', ') || '—'}</dd>
                <dt>Purchased</dt>
                <dd>{p.purchased.map((v) => v.id).join(', ') || '—'}</dd>
                <dt>Orders</dt>
                <dd>{count(p.orders)}</dd>
                <dt>Last category</dt>
                <dd>{p.lastCategory?.name ?? '—'}</dd>
                <dt>Traits</dt>
                <dd>
                  <code>{JSON.stringify(p.traits)}</code>
                </dd>
              </dl>
            )}
            <div class="actions">
              <button type="button" class="ghost danger" disabled={!canWrite} onClick={() => setConfirm('suppress')}>
                Suppress
              </button>
              <button type="button" class="danger" disabled={!canWrite} onClick={() => setConfirm('delete')}>
                Delete their data
              </button>
            </div>
          </section>
          <Shows subject={subject} />
        </div>
      )}
      <Confirm
        open={confirm !== undefined}
        title={confirm === 'delete' ? `Delete everything about ${subject}?` : `Suppress ${subject}?`}
        confirm={confirm === 'delete' ? 'Delete' : 'Suppress'}
        onConfirm={act}
        onClose={() => setConfirm(undefined)}
      >
        <p>
          {confirm === 'delete'
            ? 'Their profile, identity links and open records are deleted. Their next events start a new profile.'
            : 'They are no longer tracked: opens show the generic block and their events are dropped, until the suppression is lifted.'}
        </p>
      </Confirm>
    </>
  );
}
