import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpegEncoders } from '../helpers/jpeg-encoders.ts';
import { photoLikePixels } from '../helpers/photo-like.ts';

/**
 * A JPEG joined from strips (restart markers between them) as a
 * subscriber's browser shows it: Debian's Chromium decodes it to the same
 * pixels as the image encoded whole, and draws it at its full size.
 */
const CHROMIUM = process.env.OPENTIME_CHROMIUM ?? '/usr/bin/chromium';
let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe('a JPEG joined from strips, in Chromium', () => {
  it.each(jpegEncoders)('decodes to the pixels of the same image encoded whole (%s)', async (_name, encoder) => {
    const width = 1200;
    const height = 600;
    const shot = photoLikePixels(3, [200, 60, 40], 600);
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      data.set(shot.subarray(y * 600 * 3, (y + 1) * 600 * 3), y * width * 3);
      data.set(shot.subarray((599 - y) * 600 * 3, (600 - y) * 600 * 3), (y * width + 600) * 3);
    }
    const [inStrips, alone] = [encoder(2), encoder(1)];
    const joined = await inStrips({ width, height, channels: 3, data });
    const whole = Buffer.from(await alone({ width, height, channels: 3, data }));
    expect(Buffer.compare(Buffer.from(joined), whole)).not.toBe(0);

    const page = await browser.newPage();
    const drawn = await page.evaluate(
      async ([a, b]) => {
        const pixels = async (base64: string) => {
          const image = new Image();
          image.src = `data:image/jpeg;base64,${base64}`;
          await image.decode();
          const canvas = document.createElement('canvas');
          canvas.width = image.naturalWidth;
          canvas.height = image.naturalHeight;
          const context = canvas.getContext('2d') as CanvasRenderingContext2D;
          context.drawImage(image, 0, 0);
          return { width: image.naturalWidth, height: image.naturalHeight, data: context.getImageData(0, 0, canvas.width, canvas.height).data };
        };
        const [x, y] = await Promise.all([pixels(a as string), pixels(b as string)]);
        let differing = 0;
        for (let i = 0; i < x.data.length; i++) if (x.data[i] !== y.data[i]) differing++;
        // The bottom half's mean red: a half that failed to decode would be grey or black.
        let red = 0;
        for (let i = (x.data.length / 2) | 0; i < x.data.length; i += 4) red += x.data[i] as number;
        return { width: x.width, height: x.height, differing, bottomRed: red / (x.data.length / 8) };
      },
      [Buffer.from(joined).toString('base64'), whole.toString('base64')],
    );
    await page.close();
    expect(drawn).toMatchObject({ width, height, differing: 0 });
    expect(drawn.bottomRed).toBeGreaterThan(150);
  });
});
