import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, describe, useSession, type SessionInfo } from './api.ts';
import { BlockEditor, BlockList } from './blocks.tsx';
import { CatalogPage } from './catalog.tsx';
import { EmbedPage } from './embed.tsx';
import { PreviewGrid } from './grid.tsx';
import { ReportsPage } from './reports.tsx';
import { SubscribersPage } from './subscribers.tsx';
import { TemplatesPage } from './templates.tsx';
import { RoleContext } from './ui.tsx';
import './style.css';

/** Hash routes: the server serves one page, and a reload keeps the place. */
function useRoute(): string[] {
  const read = () => (location.hash.replace(/^#\/?/, '') || 'blocks').split('/').map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const changed = () => setRoute(read());
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

const NAV: Array<[string, string]> = [
  ['blocks', 'Blocks'],
  ['grid', 'Preview grid'],
  ['embed', 'Embed'],
  ['reports', 'Reports'],
  ['catalog', 'Catalog'],
  ['subscribers', 'Subscribers'],
  ['templates', 'Templates'],
];

function SignIn(props: { signedIn: (session: SessionInfo) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      props.signedIn(await api<SessionInfo>('POST', '/v1/session', { key: key.trim() }));
    } catch (e) {
      if (e instanceof ApiError && e.status === 429) setError(`Too many attempts. Try again in ${e.retryAfter ?? 60} seconds.`);
      else if (e instanceof ApiError && e.status === 401) setError('That key is not an admin or viewer key of this server. Check OPENTIME_ADMIN_KEY or OPENTIME_VIEWER_KEY.');
      else setError(describe(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <form class="card signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <div class="brand brand-large" aria-hidden="true">
          <span class="brand-mark">◷</span> opentime <span class="brand-sub">Studio</span>
        </div>
        <h1 id="signin-title">Sign in</h1>
        <p class="muted">Paste the admin key (or a read-only viewer key) of this server. It is exchanged for a session cookie and never stored in the page.</p>
        <label for="key">Key</label>
        <input id="key" type="password" autocomplete="current-password" value={key} onInput={(e) => setKey(e.currentTarget.value)} required minLength={16} />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button class="primary" type="submit" disabled={busy || key.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

function App() {
  const [session, setSession] = useState<SessionInfo | undefined>();
  const [checked, setChecked] = useState(false);
  const route = useRoute();
  useSession(session, () => setSession(undefined));
  useEffect(() => {
    api<SessionInfo>('GET', '/v1/session')
      .then(setSession)
      .catch(() => setSession(undefined))
      .finally(() => setChecked(true));
  }, []);
  if (!checked) return <p class="loading">Loading…</p>;
  if (!session) return <SignIn signedIn={setSession} />;
  const signOut = async () => {
    await api('DELETE', '/v1/session').catch(() => undefined);
    setSession(undefined);
  };
  const [section = 'blocks', id] = route;
  let page = <BlockList />;
  if (section === 'blocks' && id) page = <BlockEditor id={id} />;
  else if (section === 'grid') page = <PreviewGrid initialBlock={id} />;
  else if (section === 'embed') page = <EmbedPage initialBlock={id} />;
  else if (section === 'reports') page = <ReportsPage initialBlock={id} />;
  else if (section === 'catalog') page = <CatalogPage />;
  else if (section === 'subscribers') page = <SubscribersPage />;
  else if (section === 'templates') page = <TemplatesPage initialName={id} />;
  return (
    <RoleContext.Provider value={session.role}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <div class="brand">
          <span class="brand-mark" aria-hidden="true">
            ◷
          </span>{' '}
          opentime <span class="brand-sub">Studio</span>
        </div>
        <nav aria-label="Studio">
          <ul>
            {NAV.map(([href, label]) => (
              <li key={href}>
                <a href={`#/${href}`} aria-current={section === href ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span class={`badge ${session.role}`}>{session.role === 'admin' ? 'Admin' : 'Viewer · read-only'}</span>
          <button type="button" class="ghost" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </RoleContext.Provider>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
