import { AppError, type ErrorCode } from '../shared/errors.ts';
import type { SubjectStore, SuppressionSource, SuppressionStore } from '../ports.ts';
import { looksLikeEmail, resolveSubjectKeys, type SubjectKeyer } from '../audience/subjects.ts';
import type { Credential } from './credential.ts';
import type { TrackedEvent } from './normalize.ts';

/**
 * Identity links: which events join two subject keys, who may ask for it,
 * and how many. Links are explicit, never guessed:
 *
 * 1. Server credentials (write key, signed webhook): an identify that carries
 *    both ids, an identify whose `email` trait differs from its userId (so an
 *    ESP merge tag with the address finds the same person), and alias.
 * 2. The browser key (public, in every page): only an identify's own
 *    anonymousId into its userId, and only while that anonymous id belongs to
 *    nobody else. Alias and email traits are refused (403) before anything is
 *    stored; they would let a stranger move a known person's profile.
 * 3. Bounds: a request carries at most MAX_LINKS_PER_REQUEST links (413) and a
 *    subject keeps at most MAX_LINKS_PER_SUBJECT live links into it (400), so
 *    one batch cannot stall the process or grow one subject without end.
 *    Links expire with the store's retention (see Store.getLinks).
 *
 * Still open: without OPENTIME_IDENTITY_SECRET a browser may claim any userId
 * for its own fresh anonymous id (its own browsing lands in that profile).
 */

/** A backend batch of identifies (anonymousId and email each) fits easily; 5,500 aliases do not. */
export const MAX_LINKS_PER_REQUEST: Readonly<Record<Credential, number>> = { server: 1000, browser: 10 };
/**
 * Devices, addresses and aliases of one person within the retention period:
 * a shopper who logs in daily on a snippet that resets at logout makes ~400 a year.
 */
export const MAX_LINKS_PER_SUBJECT = 1000;

export interface PlannedLink {
  from: string;
  to: string;
  /** The event (its index in the request) that asked for it. */
  index: number;
}

export interface LinkDeps {
  store: SubjectStore & SuppressionStore;
  keyer: SubjectKeyer;
}

/** Where the request's `index`th event (or a field of it) is, for error messages: `batch[3].traits.email`, `traits.email`, `(root)`. */
export type PathOf = (index: number, field?: string) => string;

function forbidden(code: ErrorCode, path: string, message: string): AppError {
  return new AppError(code, `${path}: ${message}`, { details: [{ path, message }] });
}

function emailTrait(event: TrackedEvent): string | undefined {
  const email = event.traits.email;
  return typeof email === 'string' && looksLikeEmail(email) ? email : undefined;
}

/** The links one event asks for, or a 403 when its credential may not ask for them. */
async function linksOf(keyer: SubjectKeyer, event: TrackedEvent, credential: Credential, index: number, pathOf: PathOf): Promise<PlannedLink[]> {
  if (credential === 'browser' && event.type === 'alias') {
    throw forbidden(
      'ALIAS_NEEDS_WRITE_KEY',
      pathOf(index, 'type'),
      'alias merges one person into another and needs the server write key; the browser key may only identify its own anonymousId',
    );
  }
  if (event.userId === undefined) return [];
  const to = await keyer.userKey(event.userId);
  const links: PlannedLink[] = [];
  if (event.type === 'identify') {
    if (event.anonymousId !== undefined) links.push({ from: await keyer.anonymousKey(event.anonymousId), to, index });
    const email = emailTrait(event);
    if (email !== undefined) {
      const emailKey = await keyer.userKey(email);
      if (emailKey !== to) {
        if (credential === 'browser') {
          throw forbidden(
            'EMAIL_LINK_NEEDS_WRITE_KEY',
            pathOf(index, 'traits.email'),
            'linking an email address to a user needs the server write key (anyone can read the browser key); send this identify from the backend',
          );
        }
        links.push({ from: emailKey, to, index });
      }
    }
  } else if (event.type === 'alias' && event.previousId !== undefined) {
    links.push({ from: await keyer.userKey(event.previousId), to, index }, { from: await keyer.anonymousKey(event.previousId), to, index });
  }
  return links;
}

/** Every link the request asks for, in order; 403 for what its credential may not do, 413 past the request bound. */
export async function planLinks(keyer: SubjectKeyer, events: readonly TrackedEvent[], credential: Credential, pathOf: PathOf): Promise<PlannedLink[]> {
  const planned: PlannedLink[] = [];
  for (const [index, event] of events.entries()) {
    for (const link of await linksOf(keyer, event, credential, index, pathOf)) {
      planned.push(link);
      if (planned.length > MAX_LINKS_PER_REQUEST[credential]) {
        const path = pathOf(index);
        throw new AppError(
          'TOO_MANY_LINKS',
          `${path}: the request links more than ${MAX_LINKS_PER_REQUEST[credential]} ids (identify with both ids, email traits, alias), the most one request may link with this key; send it in smaller batches`,
          { details: [{ path, message: `link ${planned.length} of at most ${MAX_LINKS_PER_REQUEST[credential]}` }] },
        );
      }
    }
  }
  return planned;
}

/**
 * Decides which planned links to make, then makes them. Every check runs
 * before the first write, so a request refused for a bound changes nothing.
 * A link already in place is left alone (a backend may identify on every
 * request; renewing would cost a store write each time): it lasts the
 * retention period from when it was made, and the first identify after it
 * expired makes it again.
 */
export async function applyLinks(deps: LinkDeps, planned: readonly PlannedLink[], credential: Credential, pathOf: PathOf, now: number): Promise<void> {
  if (planned.length === 0) return;
  const resolved = await resolveSubjectKeys(
    deps.store,
    planned.flatMap((l) => [l.from, l.to]),
  );
  const targets = [...new Set(planned.map((l) => resolved.get(l.to) ?? l.to))];
  const [suppressed, direct, counts] = await Promise.all([
    deps.store.getSuppressions(targets),
    deps.store.getLinks([...new Set(planned.map((l) => l.from))]),
    deps.store.countLinksInto(targets),
  ]);
  // Where each key points as this request goes on (earlier links in it count).
  const current = new Map(resolved);
  const made: Array<[from: string, to: string]> = [];
  for (const link of planned) {
    const target = resolved.get(link.to) ?? link.to;
    if (!mayLink(link, target, current, suppressed, credential) || direct.get(link.from) === target) continue;
    const count = (counts.get(target) ?? 0) + 1;
    if (count > MAX_LINKS_PER_SUBJECT) {
      const path = pathOf(link.index, 'userId');
      throw new AppError(
        'TOO_MANY_LINKS_PER_SUBJECT',
        `${path}: this user already has ${MAX_LINKS_PER_SUBJECT} ids linked into it, the most one subject keeps within the retention period`,
        {
          details: [{ path, message: `at most ${MAX_LINKS_PER_SUBJECT} linked ids per subject` }],
        },
      );
    }
    counts.set(target, count);
    direct.set(link.from, target);
    current.set(link.from, target);
    made.push([link.from, target]);
  }
  for (const [from, to] of made) await deps.store.linkSubject(from, to, now);
}

function mayLink(link: PlannedLink, target: string, current: ReadonlyMap<string, string>, suppressed: ReadonlyMap<string, SuppressionSource>, credential: Credential): boolean {
  // Nothing is merged into a suppressed subject, and a key never links to itself.
  if (suppressed.has(target) || target === link.from) return false;
  const now = current.get(link.from) ?? link.from;
  // The browser key never moves an identity: an anonymous id that already belongs to someone else stays there.
  if (credential === 'browser' && now !== link.from && now !== target) return false;
  return true;
}
