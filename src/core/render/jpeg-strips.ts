/**
 * One baseline JPEG from horizontal strips encoded apart, so that an
 * image's strips can be encoded at the same time on several cores. Each
 * strip is a complete JPEG with the same tables (same quality, standard
 * Huffman tables); the strips' entropy-coded data are joined with restart
 * markers, and a restart interval of one strip tells the decoder that the
 * DC prediction starts again at each, as it did in each strip's encoder.
 * The pixels decode exactly as the image encoded whole; the file differs
 * by a few bytes a strip (the DRI segment, a restart marker, the padding
 * of a strip's last byte, the first DC coded whole).
 *
 * Strips are cut at multiples of the MCU's height (8 rows: colour at full
 * resolution, 4:4:4), and a restart interval counts MCUs in 16 bits, so a
 * strip holds at most 65,535 of them.
 */

/** The height of a full-resolution (4:4:4) MCU, in rows. */
export const MCU_ROWS = 8;
const MAX_RESTART_INTERVAL = 0xffff;

/** Rows in each strip when an image is cut into `count`: a multiple of the MCU's height, so every strip but the last is whole MCUs; undefined when the strips cannot be restart intervals. */
export function stripRows(width: number, height: number, count: number): number | undefined {
  if (count < 2) return undefined;
  const rows = Math.ceil(height / count / MCU_ROWS) * MCU_ROWS;
  if (rows >= height) return undefined;
  const mcus = Math.ceil(width / MCU_ROWS) * (rows / MCU_ROWS);
  return mcus <= MAX_RESTART_INTERVAL ? rows : undefined;
}

interface Parsed {
  /** Everything from SOI up to the SOS segment: the tables and the frame. */
  tables: Uint8Array;
  /** Where the SOF0 segment's height field is, in `tables`. */
  heightAt: number;
  /** The SOS segment. */
  sos: Uint8Array;
  /** The entropy-coded data, between SOS and EOI. */
  scan: Uint8Array;
}

function parse(jpeg: Uint8Array): Parsed {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('a JPEG strip does not start with SOI');
  let at = 2;
  let heightAt = -1;
  while (at + 4 <= jpeg.length) {
    if (jpeg[at] !== 0xff) throw new Error(`a JPEG strip has no marker at byte ${at}`);
    const marker = jpeg[at + 1] as number;
    const length = ((jpeg[at + 2] as number) << 8) | (jpeg[at + 3] as number);
    if (marker === 0xc0) heightAt = at + 5;
    else if (marker >= 0xc1 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) throw new Error('a JPEG strip is not baseline');
    if (marker === 0xdd) throw new Error('a JPEG strip has restart markers of its own');
    const segment = at;
    at += 2 + length;
    if (marker === 0xda) {
      if (heightAt < 0) throw new Error('a JPEG strip has no SOF0 before its scan');
      // A baseline encoder writes one scan, ending with EOI.
      if (jpeg[jpeg.length - 2] !== 0xff || jpeg[jpeg.length - 1] !== 0xd9) throw new Error('a JPEG strip does not end with EOI');
      return { tables: jpeg.subarray(0, segment), heightAt, sos: jpeg.subarray(segment, at), scan: jpeg.subarray(at, jpeg.length - 2) };
    }
  }
  throw new Error('a JPEG strip has no scan');
}

/** Joins strips of one image, top to bottom, each `rows` high but the last (see stripRows), into one JPEG `width` × `height`. */
export function joinJpegStrips(strips: readonly Uint8Array[], width: number, height: number, rows: number): Uint8Array {
  if (strips.length === 1) return strips[0] as Uint8Array;
  const parsed = strips.map(parse);
  const first = parsed[0] as Parsed;
  for (const strip of parsed) if (!sameTables(strip, first)) throw new Error('JPEG strips were encoded with different tables');
  const interval = Math.ceil(width / MCU_ROWS) * (rows / MCU_ROWS);
  const { tables, sos } = first;
  // The first strip's tables and frame (its height made the image's), a DRI segment, the scan.
  const total = tables.length + 6 + sos.length + parsed.reduce((sum, p) => sum + p.scan.length, 0) + 2 * (parsed.length - 1) + 2;
  const out = new Uint8Array(total);
  out.set(tables, 0);
  out[first.heightAt] = height >> 8;
  out[first.heightAt + 1] = height & 0xff;
  let at = tables.length;
  out.set([0xff, 0xdd, 0x00, 0x04, interval >> 8, interval & 0xff], at);
  at += 6;
  out.set(sos, at);
  at += sos.length;
  parsed.forEach((strip, i) => {
    if (i > 0) {
      out[at++] = 0xff;
      out[at++] = 0xd0 + ((i - 1) % 8);
    }
    out.set(strip.scan, at);
    at += strip.scan.length;
  });
  out[at++] = 0xff;
  out[at++] = 0xd9;
  return out;
}

/** Whether two strips' tables and frames are the same but for their heights. */
function sameTables(a: Parsed, b: Parsed): boolean {
  if (a.tables.length !== b.tables.length || a.heightAt !== b.heightAt || a.sos.length !== b.sos.length) return false;
  for (let i = 0; i < a.tables.length; i++) if (a.tables[i] !== b.tables[i] && i !== a.heightAt && i !== a.heightAt + 1) return false;
  for (let i = 0; i < a.sos.length; i++) if (a.sos[i] !== b.sos[i]) return false;
  return true;
}
