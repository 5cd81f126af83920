import * as zlib from 'node:zlib';
import { PNG_SIGNATURE, pngChunk } from '../../scripts/png';

/**
 * A minimal PNG encoder for test images that sharp does not write (16-bit, palette with
 * transparency, grey + alpha): written from the PNG specification, independently of the code
 * under test (chunks from scripts/png.ts). Rows use filter 0 (none); 16-bit samples are big-endian.
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
  const chunks = [ihdr(width, height, bitDepth, colorType)];
  if (spec.palette) chunks.push(pngChunk('PLTE', Buffer.from(spec.palette.flat())));
  if (spec.paletteAlpha) chunks.push(pngChunk('tRNS', Buffer.from(spec.paletteAlpha)));
  chunks.push(pngChunk('IDAT', zlib.deflateSync(raw)), pngChunk('IEND', Buffer.alloc(0)));
  return Buffer.concat([PNG_SIGNATURE, ...chunks]);
}

/** A PNG header claiming `width`×`height` pixels followed by a tiny IDAT: a decompression-bomb stand-in. */
export function hugeHeaderPng(width: number, height: number): Buffer {
  const idat = zlib.deflateSync(Buffer.alloc(1 + width * 3)); // one row only
  return Buffer.concat([PNG_SIGNATURE, ihdr(width, height, 8, 2), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

/** The IHDR chunk: size, bit depth, colour type; deflate, no interlace. */
function ihdr(width: number, height: number, bitDepth: number, colorType: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = bitDepth;
  header[9] = colorType;
  return pngChunk('IHDR', header);
}
