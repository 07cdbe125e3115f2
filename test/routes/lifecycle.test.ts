import { describe, expect, it } from 'vitest';

import { PHOTO_COLORS } from '../helpers/photo-server.ts';
import { useSeededApp } from '../helpers/node-runtime.ts';
import { sameImage, slotBox } from '../helpers/pixels.ts';

const { app } = useSeededApp();

const added = (userId: string, productId: string, extra: object = {}) => app.send('track', { userId, event: 'Product Added', properties: { product_id: productId }, ...extra });
const profileStatus = async (id: string) => (await app.admin('GET', `/v1/profiles/${encodeURIComponent(id)}`)).status;
/** The image a subscriber opentime has never heard of gets: the block's generic content. */
const genericImage = async () => Buffer.from((await app.open('grid', { u: 'never-seen-anyone' })).bytes);

describe('DELETE /v1/subjects/:id', () => {
  it('deletes the profile, aliases, open records and dedupe entries; images turn generic and clicks go to the fallback URL', async () => {
    await app.send('track', { anonymousId: 'phone-1', event: 'Product Viewed', properties: { product_id: 'p-blue' } });
    await app.send('identify', { userId: 'leaver', anonymousId: 'phone-1', traits: { email: 'leaver@example.com' } });
    await added('leaver', 'p-red', { messageId: 'leaver-add' });
    const before = await app.open('grid', { u: 'leaver', m: 'm1' });
    expect(before.pixels.share(PHOTO_COLORS.red, slotBox(before.pixels, 0))).toBeGreaterThan(0.25);
    await app.settle();

    const response = await app.admin('DELETE', '/v1/subjects/leaver');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      // Three events sent, and the Email Opened that the open recorded.
      deleted: { profile: true, links: 2, openRecords: 1, messageIds: 4 },
      suppressed: false,
    });
    expect(await profileStatus('leaver')).toBe(404);
    expect(await profileStatus('leaver@example.com')).toBe(404);

    const after = await app.open('grid', { u: 'leaver', m: 'm1' });
    expect(await sameImage(after.bytes, await genericImage())).toBe(true);
    const click = await app.click('grid', 0, { u: 'leaver', m: 'm2' });
    expect(click.headers.get('location')).toBe('https://shop.example.com/');
  });

  it('can delete by the email address the subscriber was identified with', async () => {
    await app.send('identify', { userId: 'c-77', traits: { email: 'Seventy@Example.com' } });
    await added('c-77', 'p-red');
    const response = await app.admin('DELETE', `/v1/subjects/${encodeURIComponent('seventy@example.com')}`);
    expect((await response.json()).deleted.profile).toBe(true);
    expect(await profileStatus('c-77')).toBe(404);
  });
});

describe('suppressions', () => {
  it('accepts a suppressed subscriber’s events with 2xx, stores nothing, and shows the generic block', async () => {
    const suppressed = await app.admin('POST', '/v1/suppressions', { ids: ['quiet'] });
    expect(suppressed.status).toBe(200);
    const event = await added('quiet', 'p-red');
    expect(event.status).toBe(200);
    expect(await event.json()).toMatchObject({ applied: 0, dropped: 1 });
    expect(await profileStatus('quiet')).toBe(404);
    const { bytes } = await app.open('grid', { u: 'quiet' });
    expect(await sameImage(bytes, await genericImage())).toBe(true);
    expect((await app.click('grid', 0, { u: 'quiet' })).headers.get('location')).toBe('https://shop.example.com/');
    expect(await (await app.admin('GET', '/v1/suppressions/quiet')).json()).toEqual({ suppressed: true, source: 'admin' });

    await app.admin('DELETE', '/v1/suppressions/quiet');
    expect((await (await added('quiet', 'p-red')).json()).applied).toBe(1);
  });

  it('hides a suppressed subscriber’s existing profile at open and keeps no open record', async () => {
    await added('known', 'p-orange');
    await app.admin('POST', '/v1/suppressions', { ids: ['known'] });
    const { bytes } = await app.open('grid', { u: 'known', m: 'x' });
    expect(await sameImage(bytes, await genericImage())).toBe(true);
    await app.settle();
    await app.admin('DELETE', '/v1/suppressions/known');
    // No record of that open was kept: the click decides now, from the profile.
    const click = await app.click('grid', 0, { u: 'known', m: 'x' });
    expect(click.headers.get('location')).toMatch(/\/products\/orange\?/);
  });

  it('suppresses and deletes in one call, like Segment’s SUPPRESS_WITH_DELETE', async () => {
    await added('both', 'p-red');
    await app.admin('POST', '/v1/suppressions', { ids: ['both'], delete: true });
    expect(await profileStatus('both')).toBe(404);
  });

  it('refuses a bad suppression list with the path of the problem', async () => {
    const response = await app.admin('POST', '/v1/suppressions', { ids: [] });
    expect(response.status).toBe(400);
    expect((await response.json()).error.details[0]).toEqual({ path: 'ids', message: 'must have at least 1 item' });
  });
});

describe('consent', () => {
  it('stops tracking a subscriber who denies the configured Segment consent category, and resumes when granted', async () => {
    await added('shy', 'p-red');
    const denied = await added('shy', 'p-blue', { context: { consent: { categoryPreferences: { Personalization: false } } } });
    expect(await denied.json()).toMatchObject({ dropped: 1 });
    expect(await (await app.admin('GET', '/v1/suppressions/shy')).json()).toEqual({ suppressed: true, source: 'consent' });
    const { bytes } = await app.open('grid', { u: 'shy' });
    expect(await sameImage(bytes, await genericImage())).toBe(true);

    const granted = await added('shy', 'p-green', { context: { consent: { categoryPreferences: { Personalization: true } } } });
    expect(await granted.json()).toMatchObject({ applied: 1, dropped: 0 });
    expect((await (await app.admin('GET', '/v1/suppressions/shy')).json()).suppressed).toBe(false);
  });

  it('never lifts an admin’s suppression because of consent', async () => {
    await app.admin('POST', '/v1/suppressions', { ids: ['blocked'] });
    await added('blocked', 'p-red', { context: { consent: { categoryPreferences: { Personalization: true } } } });
    expect((await (await app.admin('GET', '/v1/suppressions/blocked')).json()).source).toBe('admin');
  });

  it('honours the configured opt-out trait', async () => {
    await app.send('identify', { userId: 'trait-out', traits: { opentime_opt_out: true } });
    expect((await (await added('trait-out', 'p-red')).json()).dropped).toBe(1);
  });
});
