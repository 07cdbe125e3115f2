import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * The baseline a team would reach for first: a warm headless Chromium
 * (Debian's, nothing downloaded) that screenshots the same HTML at 2×. The
 * browser and page are started once; each render sets the page's content
 * (photos embedded as data URIs, as satori gets them) and takes a PNG.
 */
export interface Screenshotter {
  screenshot(html: string, size: { width: number; height: number }): Promise<Uint8Array>;
  close(): Promise<void>;
}

export async function startChromium(scale: number, fonts: ReadonlyArray<{ data: ArrayBuffer; weight: number }>): Promise<Screenshotter> {
  const profile = await mkdtemp(join(tmpdir(), 'opentime-chromium-'));
  // A fresh profile directory, as the brief for this baseline says; nothing is downloaded.
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    deviceScaleFactor: scale,
    viewport: { width: 600, height: 300 },
  });
  const page: Page = context.pages()[0] ?? (await context.newPage());
  // The fonts satori gets (Inter), loaded once: the page stays, only its body changes per render.
  const faces = fonts.map((font) => `@font-face{font-family:Inter;font-weight:${font.weight};src:url(data:font/ttf;base64,${Buffer.from(font.data).toString('base64')})}`).join('');
  await page.setContent(`<!doctype html><html><head><meta charset="utf-8"><style>html,body{margin:0}${faces}</style></head><body></body></html>`, { waitUntil: 'load' });
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  return {
    async screenshot(html, size) {
      await page.setViewportSize(size);
      await page.evaluate(async (body) => {
        document.body.innerHTML = body;
        await Promise.all([...document.images].map((image) => image.decode().catch(() => undefined)));
        await document.fonts.ready;
      }, html);
      return new Uint8Array(await page.screenshot({ type: 'png', clip: { x: 0, y: 0, ...size } }));
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
