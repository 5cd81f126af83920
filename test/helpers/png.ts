import * as zlib from 'node:zlib';

/**
 * A minimal PNG encoder for test images that sharp does not write (16-bit, palette with
 * transparency, grey + alpha): written from the PNG specification, independently of the code
 * under test. Rows use filter 0 (none); samples of 16-bit images are big-endian.
 */
export interface PngSpec {
  readonly width: number;
  readonly height: number;
  /** 8 or 16. */
  readonly bitDepth: 8 | 16;
  /** 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA. */
  readonly colorType: 0 | 2 | 3 | 4 | 6;
  /** Samples in row-major order (palette: indices). */
  readonly samples: readonly number[];
  /** Palette entries `[r, g, b]` (colour type 3). */
  readonly palette?: ReadonlyArray<readonly [number, number, number]>;
  /** Alpha of each palette entry (a tRNS chunk). */
  readonly paletteAlpha?: readonly number[];
}

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;

export function encodePng(spec: PngSpec): Buffer {
  const { width, height, bitDepth, colorType, samples } = spec;
  const perRow = width * CHANNELS[colorType];
  if (samples.length !== perRow * height) throw new Error(`expected ${perRow * height} samples, got ${samples.length}`);
  const bytesPerSample = bitDepth / 8;
  const raw = Buffer.alloc(height * (1 + perRow * bytesPerSample));
  let o = 0;
  for (let y = 0; y < height; y++) {
    raw[o++] = 0;
    for (let i = 0; i < perRow; i++) {
      const v = samples[y * perRow + i];
      if (bitDepth === 16) raw.writeUInt16BE(v, o);
      else raw[o] = v;
      o += bytesPerSample;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = bitDepth;
  header[9] = colorType;
  const chunks = [chunk('IHDR', header)];
  if (spec.palette) chunks.push(chunk('PLTE', Buffer.from(spec.palette.flat())));
  if (spec.paletteAlpha) chunks.push(chunk('tRNS', Buffer.from(spec.paletteAlpha)));
  chunks.push(chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks]);
}

/** A PNG header claiming `width`×`height` pixels followed by a tiny IDAT: a decompression-bomb stand-in. */
export function hugeHeaderPng(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = 2;
  const idat = zlib.deflateSync(Buffer.alloc(1 + width * 3)); // one row only
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length, 0);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body), 0);
  return Buffer.concat([length, body, crc]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
