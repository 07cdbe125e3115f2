import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodePng, parseHexColor, solidPng } from '../../../src/core/render/png.ts';

async function pixelsOf(png: Uint8Array) {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const colours = new Set<string>();
  for (let i = 0; i < data.length; i += info.channels) colours.add(`${data[i]},${data[i + 1]},${data[i + 2]}`);
  return { info, colours: [...colours] };
}

describe('solidPng', () => {
  it('encodes a PNG of the requested size, every pixel the requested colour', async () => {
    const png = await solidPng(600, 300, '#d33c3c');
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe('png');
    const { info, colours } = await pixelsOf(png);
    expect([info.width, info.height, info.channels]).toEqual([600, 300, 3]);
    expect(colours).toEqual(['211,60,60']);
  });

  it('reads short hex colours', async () => {
    const { colours } = await pixelsOf(await solidPng(3, 2, '#0f0'));
    expect(colours).toEqual(['0,255,0']);
  });

  it('encodes a 1×1 image', async () => {
    const { info, colours } = await pixelsOf(await solidPng(1, 1, '#ffffff'));
    expect([info.width, info.height]).toEqual([1, 1]);
    expect(colours).toEqual(['255,255,255']);
  });

  it('starts with the PNG signature', async () => {
    const png = await solidPng(2, 2, '#000');
    expect([...png.slice(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });
});

describe('parseHexColor', () => {
  it('reads #rgb and #rrggbb, with or without #', () => {
    expect(parseHexColor('#d33')).toEqual([0xdd, 0x33, 0x33]);
    expect(parseHexColor('#DD3333')).toEqual([0xdd, 0x33, 0x33]);
    expect(parseHexColor('112233')).toEqual([0x11, 0x22, 0x33]);
  });

  it('never throws on a bad colour, using 0 for what it cannot read', () => {
    expect(parseHexColor('#zz1')).toEqual([0, 0, 0x11]);
    expect(parseHexColor('')).toEqual([0, 0, 0]);
    expect(parseHexColor('#12')).toEqual([0x12, 0, 0]);
  });
});

describe('encodePng', () => {
  it('encodes opaque RGBA as an RGB PNG that decodes to the same pixels', async () => {
    const width = 5;
    const height = 3;
    const rgba = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) rgba.set([(i * 37) % 256, (i * 91) % 256, 255 - i, 255], i * 4);
    const png = await encodePng(width, height, rgba);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([width, height, 3]);
    for (let i = 0; i < width * height; i++) expect([...data.subarray(i * 3, i * 3 + 3)]).toEqual([...rgba.subarray(i * 4, i * 4 + 3)]);
  });

  it('keeps transparency when there is some', async () => {
    const rgba = new Uint8Array([255, 0, 0, 255, 0, 0, 255, 128]);
    const { data, info } = await sharp(await encodePng(2, 1, rgba))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(4);
    expect([...data]).toEqual([...rgba]);
  });

  it('refuses pixels that do not match the size', async () => {
    await expect(encodePng(2, 2, new Uint8Array(12))).rejects.toThrow('expected 16 bytes of RGBA, received 12');
  });
});
