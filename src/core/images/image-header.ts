import { refuse } from './fetch-error.ts';

/**
 * What a fetched photo is, read from its first bytes and its header without
 * decoding it: the type (a server's Content-Type is only a claim: an error
 * page is often served as image/png) and the width and height (a 100 KB PNG
 * can claim 30000×30000 pixels, 3.6 GB once decoded). Web APIs only, so both
 * the sharp and the Workers fetcher refuse the same things.
 */
export type PhotoType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

/** The type from the magic bytes; undefined for anything else (SVG, AVIF, TIFF, HTML, …). */
export function sniffPhotoType(bytes: Uint8Array): PhotoType | undefined {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46 && bytes[3] === 0x38) return 'image/gif';
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

/** Width and height from a PNG, GIF, JPEG or WebP header (a GIF's logical screen: every frame fits in it). */
export function imageSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = sniffPhotoType(bytes);
  if (type === 'image/png') return bytes.length >= 24 ? { width: view.getUint32(16), height: view.getUint32(20) } : undefined;
  if (type === 'image/gif') return bytes.length >= 10 ? { width: view.getUint16(6, true), height: view.getUint16(8, true) } : undefined;
  if (type === 'image/webp') return webpSize(bytes, view);
  if (type === 'image/jpeg') return jpegSize(bytes, view);
  return undefined;
}

function jpegSize(bytes: Uint8Array, view: DataView): { width: number; height: number } | undefined {
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = bytes[i + 1] as number;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    // SOF0–SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: view.getUint16(i + 5), width: view.getUint16(i + 7) };
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) i += 2;
    else i += 2 + view.getUint16(i + 2);
  }
  return undefined;
}

function webpSize(bytes: Uint8Array, view: DataView): { width: number; height: number } | undefined {
  if (bytes.length < 30) return undefined;
  const chunk = String.fromCharCode(...bytes.subarray(12, 16));
  const u24 = (at: number) => view.getUint16(at, true) | ((bytes[at + 2] as number) << 16);
  // VP8X (extended, animated): the canvas size, 24 bits each, minus one.
  if (chunk === 'VP8X') return { width: u24(24) + 1, height: u24(27) + 1 };
  // VP8L (lossless): after the 0x2f signature, 14 bits each, minus one.
  if (chunk === 'VP8L' && bytes[20] === 0x2f) {
    const bits = view.getUint32(21, true);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  // VP8 (lossy): after the 9d 01 2a start code, 14 bits each.
  if (chunk === 'VP8 ' && bytes[23] === 0x9d && bytes[24] === 0x01 && bytes[25] === 0x2a) {
    return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
  }
  return undefined;
}

/**
 * The checks on a response before its body is read: an image type (not
 * HTML, JSON or an unlabelled download) and a declared length within the limit.
 */
export function checkImageResponse(url: URL, headers: { get(name: string): string | null }, maxBytes: number): void {
  const type = (headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!type.startsWith('image/')) throw refuse('type', `${url.href} is ${type === '' ? 'unlabelled' : type}, not an image (expected an image/* Content-Type)`);
  const declared = Number(headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) throw refuse('size', `${url.href} is ${declared} bytes; the limit is ${maxBytes}`);
}

/**
 * The checks on a photo's bytes before anything decodes them: one of
 * `types` by its magic bytes, a size in its header, and no more pixels than
 * `maxPixels` (decompression bombs).
 */
export function inspectPhoto(url: URL, bytes: Uint8Array, maxPixels: number, types: readonly PhotoType[]): { type: PhotoType; width: number; height: number } {
  const type = sniffPhotoType(bytes);
  if (!type || !types.includes(type)) throw refuse('type', `${url.href} is not a ${typeList(types)} by its first bytes`);
  const size = imageSize(bytes);
  if (!size || size.width === 0 || size.height === 0) throw refuse('type', `${url.href} has no readable size in its ${typeList([type])} header`);
  if (size.width * size.height > maxPixels) throw refuse('pixels', `${url.href} is ${size.width}×${size.height} pixels; the limit is ${maxPixels}`);
  return { type, ...size };
}

/** `PNG, JPEG or GIF` */
function typeList(types: readonly PhotoType[]): string {
  const names = types.map((t) => (t === 'image/webp' ? 'WebP' : t.slice(6).toUpperCase()));
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : (names[0] ?? '');
}
