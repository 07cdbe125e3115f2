import type { RawImage } from '../ports.ts';

/**
 * A baseline JPEG encoder in plain TypeScript, for platforms without sharp
 * (Cloudflare Workers): the choices of sharp's encoder on Node (quality 78,
 * colour at full resolution, 4:4:4, so a red price keeps crisp edges at 2×;
 * baseline) and Huffman tables built for each image. Its cost is the
 * forward DCT (AAN, in floating point, as libjpeg's jfdctflt.c) and the
 * entropy coding; a block of one colour (the background around cards and
 * text) skips the DCT, as its only coefficient is the DC term. mozjpeg's
 * trellis quantisation, which cannot be switched off in its WebAssembly
 * build, costs six times as much CPU for a fifth fewer bytes.
 */
export const JPEG_QUALITY = 78;

/** The order coefficients are written in (zigzag), as indices into the 8×8 block. */
const NATURAL_ORDER = Uint8Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44,
  51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]);

/** ITU T.81 Annex K.1 quantisation tables, in natural order. */
const LUMA_QUANT = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64,
  81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMA_QUANT = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];

/** A Huffman table as it is written: how many codes of each length 1..16, then the symbols. */
interface HuffmanSpec {
  counts: number[];
  symbols: number[];
}

/** A Huffman table as code and length per symbol (Annex C). */
interface HuffmanCodes {
  code: Uint16Array;
  length: Uint8Array;
}

function huffmanCodes(spec: HuffmanSpec): HuffmanCodes {
  const code = new Uint16Array(256);
  const length = new Uint8Array(256);
  let next = 0;
  let k = 0;
  for (let bits = 1; bits <= 16; bits++) {
    for (let i = 0; i < (spec.counts[bits - 1] as number); i++) {
      const symbol = spec.symbols[k++] as number;
      code[symbol] = next++;
      length[symbol] = bits;
    }
    next <<= 1;
  }
  return { code, length };
}

/** IJG's quality scaling of a base table, in natural order. */
function scaledTable(base: readonly number[], quality: number): Uint8Array {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const factor = q < 50 ? Math.floor(5000 / q) : 200 - q * 2;
  return Uint8Array.from(base, (value) => Math.min(255, Math.max(1, Math.floor((value * factor + 50) / 100))));
}

/** AAN's scale factors, folded with the quantiser into one multiplier per coefficient (natural order). */
const AAN_SCALE = [1, 1.387039845, 1.306562965, 1.175875602, 1, 0.785694958, 0.5411961, 0.275899379];
function divisors(table: Uint8Array): Float64Array {
  const out = new Float64Array(64);
  for (let row = 0; row < 8; row++) {
    for (let col = 0; col < 8; col++) out[row * 8 + col] = 1 / ((table[row * 8 + col] as number) * (AAN_SCALE[row] as number) * (AAN_SCALE[col] as number) * 8);
  }
  return out;
}

/** The forward DCT of a level-shifted 8×8 block in place (libjpeg's jfdctflt.c). */
function forwardDct(d: Float64Array): void {
  for (let pass = 0; pass < 2; pass++) {
    // First the rows (step 1, stride 8), then the columns (step 8, stride 1).
    const step = pass === 0 ? 1 : 8;
    const stride = pass === 0 ? 8 : 1;
    for (let line = 0; line < 8; line++) {
      const o = line * stride;
      const d0 = d[o] as number;
      const d1 = d[o + step] as number;
      const d2 = d[o + 2 * step] as number;
      const d3 = d[o + 3 * step] as number;
      const d4 = d[o + 4 * step] as number;
      const d5 = d[o + 5 * step] as number;
      const d6 = d[o + 6 * step] as number;
      const d7 = d[o + 7 * step] as number;
      const tmp0 = d0 + d7;
      const tmp7 = d0 - d7;
      const tmp1 = d1 + d6;
      const tmp6 = d1 - d6;
      const tmp2 = d2 + d5;
      const tmp5 = d2 - d5;
      const tmp3 = d3 + d4;
      const tmp4 = d3 - d4;
      const even10 = tmp0 + tmp3;
      const even13 = tmp0 - tmp3;
      const even11 = tmp1 + tmp2;
      const even12 = tmp1 - tmp2;
      d[o] = even10 + even11;
      d[o + 4 * step] = even10 - even11;
      const z1 = (even12 + even13) * Math.SQRT1_2;
      d[o + 2 * step] = even13 + z1;
      d[o + 6 * step] = even13 - z1;
      const odd10 = tmp4 + tmp5;
      const odd11 = tmp5 + tmp6;
      const odd12 = tmp6 + tmp7;
      const z5 = (odd10 - odd12) * 0.382683433;
      const z2 = 0.5411961 * odd10 + z5;
      const z4 = 1.306562965 * odd12 + z5;
      const z3 = odd11 * Math.SQRT1_2;
      const z11 = tmp7 + z3;
      const z13 = tmp7 - z3;
      d[o + 5 * step] = z13 + z2;
      d[o + 3 * step] = z13 - z2;
      d[o + step] = z11 + z4;
      d[o + 7 * step] = z11 - z4;
    }
  }
}

/** Entropy-coded bytes, with 0xFF stuffed, grown as needed. */
class BitWriter {
  bytes: Uint8Array;
  length = 0;
  private buffer = 0;
  private bits = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
  }

  /** Room for `n` more bytes. */
  reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  byte(value: number): void {
    this.bytes[this.length++] = value;
  }

  /** Writes the low `count` bits of `value` (count ≤ 24). */
  write(value: number, count: number): void {
    this.buffer = (this.buffer << count) | (value & ((1 << count) - 1));
    this.bits += count;
    while (this.bits >= 8) {
      this.bits -= 8;
      const out = (this.buffer >> this.bits) & 0xff;
      this.bytes[this.length++] = out;
      if (out === 0xff) this.bytes[this.length++] = 0;
    }
  }

  /** Pads the last byte with ones, as T.81 asks before a marker. */
  flush(): void {
    if (this.bits > 0) this.write(0x7f, 8 - this.bits);
  }
}

/** The bit size of a coefficient (its category) */
const bitSize = (value: number) => 32 - Math.clz32(value < 0 ? -value : value);

/** Quantises a transformed block into `out` (zigzag order). */
function quantise(block: Float64Array, divisor: Float64Array, out: Int32Array): void {
  for (let k = 0; k < 64; k++) {
    const i = NATURAL_ORDER[k] as number;
    // Rounded to nearest as libjpeg does, with an offset that keeps the truncation positive (|v| < 2048).
    out[k] = (((block[i] as number) * (divisor[i] as number) + 16384.5) | 0) - 16384;
  }
}

/** Counts the symbols one quantised block (zigzag order, at `at`) will be written with, and returns its DC value. */
function countBlock(coefficients: Int16Array, at: number, previousDc: number, dc: Int32Array, ac: Int32Array, flat: boolean): number {
  const value = coefficients[at] as number;
  (dc[bitSize(value - previousDc)] as number)++;
  if (flat) {
    (ac[0] as number)++;
    return value;
  }
  let run = 0;
  for (let k = 1; k < 64; k++) {
    const v = coefficients[at + k] as number;
    if (v === 0) {
      run++;
      continue;
    }
    while (run > 15) {
      (ac[0xf0] as number)++;
      run -= 16;
    }
    (ac[(run << 4) | bitSize(v)] as number)++;
    run = 0;
  }
  if (run > 0) (ac[0] as number)++;
  return value;
}

/** Writes one quantised block (zigzag order, at `at`) and returns its DC value, the next block's predictor. */
function encodeBlock(writer: BitWriter, coefficients: Int16Array, at: number, previousDc: number, dc: HuffmanCodes, ac: HuffmanCodes, flat: boolean): number {
  const diff = (coefficients[at] as number) - previousDc;
  const dcSize = bitSize(diff);
  writer.write(dc.code[dcSize] as number, dc.length[dcSize] as number);
  if (dcSize > 0) writer.write(diff < 0 ? diff - 1 : diff, dcSize);
  if (flat) {
    writer.write(ac.code[0] as number, ac.length[0] as number);
    return coefficients[at] as number;
  }
  let run = 0;
  for (let k = 1; k < 64; k++) {
    const value = coefficients[at + k] as number;
    if (value === 0) {
      run++;
      continue;
    }
    while (run > 15) {
      writer.write(ac.code[0xf0] as number, ac.length[0xf0] as number);
      run -= 16;
    }
    const size = bitSize(value);
    const symbol = (run << 4) | size;
    const codeLength = ac.length[symbol] as number;
    const bits = value < 0 ? value - 1 : value;
    // The code and the value's bits in one write when they fit (most do), else in two.
    if (codeLength + size <= 24) writer.write(((ac.code[symbol] as number) << size) | (bits & ((1 << size) - 1)), codeLength + size);
    else {
      writer.write(ac.code[symbol] as number, codeLength);
      writer.write(bits, size);
    }
    run = 0;
  }
  if (run > 0) writer.write(ac.code[0] as number, ac.length[0] as number);
  return coefficients[at] as number;
}

/**
 * The Huffman table that codes these symbol counts in the fewest bits, no
 * code longer than 16 bits and none all ones (T.81 Annex K.2, as libjpeg's
 * jpeg_gen_optimal_table).
 */
function optimalTable(counts: Int32Array): HuffmanSpec {
  const freq = new Float64Array(257);
  freq.set(counts.subarray(0, 256));
  freq[256] = 1; // a code point no symbol gets, so that no code is all ones
  const codeSize = new Int32Array(257);
  const others = new Int32Array(257).fill(-1);
  for (;;) {
    // The two least frequent (ties: the larger symbol), merged.
    let c1 = -1;
    let c2 = -1;
    let v1 = Number.POSITIVE_INFINITY;
    let v2 = Number.POSITIVE_INFINITY;
    for (let i = 0; i <= 256; i++) {
      const f = freq[i] as number;
      if (f === 0) continue;
      if (f <= v1) {
        v2 = v1;
        c2 = c1;
        v1 = f;
        c1 = i;
      } else if (f <= v2) {
        v2 = f;
        c2 = i;
      }
    }
    if (c2 < 0) break;
    freq[c1] = (freq[c1] as number) + (freq[c2] as number);
    freq[c2] = 0;
    codeSize[c1] = (codeSize[c1] as number) + 1;
    while ((others[c1] as number) >= 0) {
      c1 = others[c1] as number;
      codeSize[c1] = (codeSize[c1] as number) + 1;
    }
    others[c1] = c2;
    codeSize[c2] = (codeSize[c2] as number) + 1;
    while ((others[c2] as number) >= 0) {
      c2 = others[c2] as number;
      codeSize[c2] = (codeSize[c2] as number) + 1;
    }
  }
  const bits = new Int32Array(33);
  for (let i = 0; i <= 256; i++) if (codeSize[i]) bits[codeSize[i] as number] = (bits[codeSize[i] as number] as number) + 1;
  // Lengths over 16 folded into shorter ones (Annex K.3's adjustment).
  for (let i = 32; i > 16; i--) {
    while ((bits[i] as number) > 0) {
      let j = i - 2;
      while (bits[j] === 0) j--;
      bits[i] = (bits[i] as number) - 2;
      bits[i - 1] = (bits[i - 1] as number) + 1;
      bits[j + 1] = (bits[j + 1] as number) + 2;
      bits[j] = (bits[j] as number) - 1;
    }
  }
  let longest = 16;
  while (longest > 0 && bits[longest] === 0) longest--;
  if (longest > 0) bits[longest] = (bits[longest] as number) - 1; // the reserved code point
  const symbols: number[] = [];
  for (let length = 1; length <= 32; length++) for (let symbol = 0; symbol < 256; symbol++) if (codeSize[symbol] === length) symbols.push(symbol);
  return { counts: Array.from(bits.subarray(1, 17)), symbols };
}

function segment(marker: number, body: readonly number[]): number[] {
  return [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
}

function headers(width: number, height: number, luma: Uint8Array, chroma: Uint8Array, huffmanTables: readonly [HuffmanSpec, HuffmanSpec, HuffmanSpec, HuffmanSpec]): Uint8Array {
  const zigzag = (table: Uint8Array) => Array.from(NATURAL_ORDER, (i) => table[i] as number);
  const huffman = (klass: number, id: number, spec: HuffmanSpec) => [(klass << 4) | id, ...spec.counts, ...spec.symbols];
  const bytes = [
    0xff,
    0xd8,
    // JFIF with an aspect ratio of 1:1 and no resolution: Outlook rescales images by their DPI.
    ...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    ...segment(0xdb, [0, ...zigzag(luma), 1, ...zigzag(chroma)]),
    // Baseline, 8 bits, three components at full resolution (4:4:4): Y uses table 0, Cb and Cr table 1.
    ...segment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1]),
    ...segment(0xc4, [...huffman(0, 0, huffmanTables[0]), ...huffman(1, 0, huffmanTables[1]), ...huffman(0, 1, huffmanTables[2]), ...huffman(1, 1, huffmanTables[3])]),
    ...segment(0xda, [3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]),
  ];
  return Uint8Array.from(bytes);
}

const tables = new Map<number, { luma: Uint8Array; chroma: Uint8Array; lumaDivisor: Float64Array; chromaDivisor: Float64Array }>();
function tablesFor(quality: number) {
  let found = tables.get(quality);
  if (!found) {
    const luma = scaledTable(LUMA_QUANT, quality);
    const chroma = scaledTable(CHROMA_QUANT, quality);
    found = { luma, chroma, lumaDivisor: divisors(luma), chromaDivisor: divisors(chroma) };
    tables.set(quality, found);
  }
  return found;
}

/**
 * The coefficient buffer, kept between encodings: a 1200×600 image's is
 * 4 MB, which allocating per open would leave to the garbage collector.
 * Encoding is synchronous, so no two encodings share it at once.
 */
let spare: Int16Array | undefined;
function scratch(length: number): Int16Array {
  if (!spare || spare.length < length) spare = new Int16Array(length);
  return spare.subarray(0, length);
}

/**
 * Encodes opaque RGB (or RGBA, whose alpha is ignored: a JPEG has none)
 * pixels as a baseline JPEG. Huffman tables are built for the image (a
 * count of its symbols between quantising and writing): a tenth fewer
 * bytes than the standard tables for a fifth more time.
 */
export function encodeJpeg(image: RawImage, quality: number = JPEG_QUALITY): Uint8Array {
  const { width, height, channels, data } = image;
  if (data.length !== width * height * channels) throw new Error(`[opentime] [jpeg] expected ${width * height * channels} bytes of pixels, received ${data.length}`);
  const { luma, chroma, lumaDivisor, chromaDivisor } = tablesFor(quality);
  const blocksWide = Math.ceil(width / 8);
  const blocksHigh = Math.ceil(height / 8);
  // Quantised coefficients, Y, Cb and Cr block after block, in zigzag order (a flat block's DC only).
  const coefficients = scratch(blocksWide * blocksHigh * 3 * 64);
  // Which blocks are of one colour: only their DC is written (their AC coefficients are all 0).
  const flats = new Uint8Array(blocksWide * blocksHigh);
  const lumaDcCounts = new Int32Array(256);
  const lumaAcCounts = new Int32Array(256);
  const chromaDcCounts = new Int32Array(256);
  const chromaAcCounts = new Int32Array(256);

  const y = new Float64Array(64);
  const cb = new Float64Array(64);
  const cr = new Float64Array(64);
  const zz = new Int32Array(64);
  let dcY = 0;
  let dcCb = 0;
  let dcCr = 0;
  let at = 0;
  const stride = width * channels;
  const transform = (block: Float64Array, divisor: Float64Array) => {
    forwardDct(block);
    quantise(block, divisor, zz);
    coefficients.set(zz, at);
  };
  for (let top = 0; top < height; top += 8) {
    for (let left = 0; left < width; left += 8, at += 192) {
      // Level-shifted YCbCr (JFIF), edge pixels repeated past the image's right and bottom.
      const first = top * stride + left * channels;
      const r0 = data[first] as number;
      const g0 = data[first + 1] as number;
      const b0 = data[first + 2] as number;
      const inside = left + 8 <= width && top + 8 <= height;
      const at8 = (row: number, col: number) =>
        inside ? (top + row) * stride + (left + col) * channels : Math.min(top + row, height - 1) * stride + Math.min(left + col, width - 1) * channels;
      // A block of one colour (most of a block's background) is found before any arithmetic.
      let flat = true;
      for (let row = 0; flat && row < 8; row++) {
        for (let col = 0; col < 8; col++) {
          const p = at8(row, col);
          if (data[p] !== r0 || data[p + 1] !== g0 || data[p + 2] !== b0) {
            flat = false;
            break;
          }
        }
      }
      if (!flat) {
        for (let row = 0; row < 8; row++) {
          const line = inside ? first + row * stride : 0;
          for (let col = 0; col < 8; col++) {
            const p = inside ? line + col * channels : at8(row, col);
            const r = data[p] as number;
            const g = data[p + 1] as number;
            const b = data[p + 2] as number;
            const i = row * 8 + col;
            y[i] = 0.299 * r + 0.587 * g + 0.114 * b - 128;
            cb[i] = -0.168735892 * r - 0.331264108 * g + 0.5 * b;
            cr[i] = 0.5 * r - 0.418687589 * g - 0.081312411 * b;
          }
        }
      }
      if (flat) {
        // One colour: the DCT's only non-zero output is DC, 64 times the sample.
        coefficients[at] = Math.round((0.299 * r0 + 0.587 * g0 + 0.114 * b0 - 128) * 64 * (lumaDivisor[0] as number));
        coefficients[at + 64] = Math.round((-0.168735892 * r0 - 0.331264108 * g0 + 0.5 * b0) * 64 * (chromaDivisor[0] as number));
        coefficients[at + 128] = Math.round((0.5 * r0 - 0.418687589 * g0 - 0.081312411 * b0) * 64 * (chromaDivisor[0] as number));
      } else {
        transform(y, lumaDivisor);
        at += 64;
        transform(cb, chromaDivisor);
        at += 64;
        transform(cr, chromaDivisor);
        at -= 128;
      }
      flats[at / 192] = flat ? 1 : 0;
      dcY = countBlock(coefficients, at, dcY, lumaDcCounts, lumaAcCounts, flat);
      dcCb = countBlock(coefficients, at + 64, dcCb, chromaDcCounts, chromaAcCounts, flat);
      dcCr = countBlock(coefficients, at + 128, dcCr, chromaDcCounts, chromaAcCounts, flat);
    }
  }

  const specs = [optimalTable(lumaDcCounts), optimalTable(lumaAcCounts), optimalTable(chromaDcCounts), optimalTable(chromaAcCounts)] as const;
  const [lumaDc, lumaAc, chromaDc, chromaAc] = specs.map(huffmanCodes) as [HuffmanCodes, HuffmanCodes, HuffmanCodes, HuffmanCodes];
  const head = headers(width, height, luma, chroma, specs);
  const writer = new BitWriter(head.length + Math.max(1024, (width * height) >> 2));
  writer.bytes.set(head);
  writer.length = head.length;
  dcY = 0;
  dcCb = 0;
  dcCr = 0;
  for (let block = 0; block < coefficients.length; block += 192) {
    writer.reserve(1600);
    const flat = flats[block / 192] === 1;
    dcY = encodeBlock(writer, coefficients, block, dcY, lumaDc, lumaAc, flat);
    dcCb = encodeBlock(writer, coefficients, block + 64, dcCb, chromaDc, chromaAc, flat);
    dcCr = encodeBlock(writer, coefficients, block + 128, dcCr, chromaDc, chromaAc, flat);
  }
  writer.flush();
  writer.reserve(2);
  writer.byte(0xff);
  writer.byte(0xd9);
  return writer.bytes.slice(0, writer.length);
}
