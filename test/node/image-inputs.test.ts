import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { DEFAULT_MAX_PIXELS, decodeImage, readImage } from '../../src/node';
import { expectGradCamRejection } from '../helpers/expect';
import { encodePng, hugeHeaderPng } from '../helpers/png';

/** Images as people send them: rotated phone photos, 16-bit, palette, alpha, bombs, broken files. */
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradcam-inputs-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

async function pixels(input: string | Buffer, options = {}): Promise<{ shape: number[]; values: number[] }> {
  const x = typeof input === 'string' ? await readImage(input, { scale: 'none', ...options }) : await decodeImage(input, { scale: 'none', ...options });
  const result = { shape: x.shape, values: Array.from(x.dataSync()) };
  x.dispose();
  return result;
}

const grey = (values: number[]): number[] => values.flatMap((v) => [v, v, v]);

describe('pixel formats', () => {
  it('reduces 16-bit grey to its high byte, as RGB', async () => {
    const png = encodePng({ width: 3, height: 2, bitDepth: 16, colorType: 0, samples: [0, 1000, 30000, 65535, 257, 512] });
    expect(await pixels(write('g16.png', png))).toEqual({ shape: [2, 3, 3], values: grey([0, 3, 117, 255, 1, 2]) });
  });

  it('reads 16-bit RGBA: high bytes, alpha dropped', async () => {
    const rgba = [0x1234, 0xff00, 0x00ff, 0, 0xabcd, 0x8000, 0x7fff, 65535];
    const png = encodePng({ width: 2, height: 1, bitDepth: 16, colorType: 6, samples: rgba });
    expect(await pixels(write('rgba16.png', png))).toEqual({ shape: [1, 2, 3], values: [0x12, 0xff, 0x00, 0xab, 0x80, 0x7f] });
  });

  it('expands a palette with transparency to its RGB colours', async () => {
    const palette = [[255, 0, 0], [0, 128, 255], [7, 8, 9]] as const;
    const png = encodePng({ width: 3, height: 1, bitDepth: 8, colorType: 3, samples: [2, 0, 1], palette, paletteAlpha: [255, 0, 128] });
    expect(await pixels(write('palette.png', png))).toEqual({ shape: [1, 3, 3], values: [7, 8, 9, 255, 0, 0, 0, 128, 255] });
  });

  it('reads grey + alpha as grey RGB, alpha dropped', async () => {
    const png = encodePng({ width: 2, height: 1, bitDepth: 8, colorType: 4, samples: [40, 0, 200, 255] });
    expect(await pixels(png)).toEqual({ shape: [1, 2, 3], values: grey([40, 200]) });
  });
});

describe('EXIF orientation', () => {
  // Stored 16 wide × 8 high: left half red, right half blue (flat halves survive JPEG).
  async function orientedJpeg(orientation: number): Promise<Buffer> {
    const data = Buffer.alloc(16 * 8 * 3);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 16; x++) data.set(x < 8 ? [255, 0, 0] : [0, 0, 255], (y * 16 + x) * 3);
    const jpeg = await sharp(data, { raw: { width: 16, height: 8, channels: 3 } }).jpeg({ quality: 100 }).withMetadata({ orientation }).toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(orientation);
    return jpeg;
  }
  const isRed = (v: number[], i: number): boolean => v[i] > 200 && v[i + 2] < 60;
  const isBlue = (v: number[], i: number): boolean => v[i] < 60 && v[i + 2] > 200;

  it('orientation 6 (rotate 90° clockwise): 8 wide × 16 high, red on top', async () => {
    const { shape, values } = await pixels(write('o6.jpg', await orientedJpeg(6)));
    expect(shape).toEqual([16, 8, 3]);
    expect(isRed(values, (1 * 8 + 4) * 3)).toBe(true);
    expect(isBlue(values, (14 * 8 + 4) * 3)).toBe(true);
  });

  it('orientation 3 (rotate 180°): blue on the left', async () => {
    const { shape, values } = await pixels(await orientedJpeg(3));
    expect(shape).toEqual([8, 16, 3]);
    expect(isBlue(values, (4 * 16 + 1) * 3)).toBe(true);
    expect(isRed(values, (4 * 16 + 14) * 3)).toBe(true);
  });

  it('orientation 1: as stored', async () => {
    const { shape, values } = await pixels(await orientedJpeg(1));
    expect(shape).toEqual([8, 16, 3]);
    expect(isRed(values, (4 * 16 + 1) * 3)).toBe(true);
  });
});

describe('pixel limit, checked before decoding', () => {
  it('defaults to 50 million pixels', () => {
    expect(DEFAULT_MAX_PIXELS).toBe(50_000_000);
  });

  it('refuses a small file whose header claims a huge image (a decompression bomb), without allocating it', async () => {
    const bomb = hugeHeaderPng(60_000, 60_000); // 3.6e9 pixels, 10.8 GB decoded; the file is ~200 KB
    expect(bomb.length).toBeLessThan(1_000_000);
    const before = process.memoryUsage().arrayBuffers;
    await expectGradCamRejection(readImage(write('bomb.png', bomb)), 'BAD_INPUT', /bomb\.png: the image is 60000×60000 = 3600000000 pixels, above the limit of 50000000; raise maxPixels \(--max-pixels\)/);
    await expectGradCamRejection(decodeImage(bomb), 'BAD_INPUT', /the image bytes: .* above the limit/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(100_000_000);
  });

  it('takes maxPixels: the limit itself passes, one pixel less fails', async () => {
    const png = encodePng({ width: 5, height: 4, bitDepth: 8, colorType: 0, samples: new Array(20).fill(9) });
    expect((await pixels(png, { maxPixels: 20 })).shape).toEqual([4, 5, 3]);
    await expectGradCamRejection(decodeImage(png, { maxPixels: 19 }), 'BAD_INPUT', /5×4 = 20 pixels, above the limit of 19/);
  });

  it.each([0, -3, 2.5, Number.NaN, '100'])('refuses maxPixels %p as an option', async (maxPixels) => {
    await expectGradCamRejection(readImage(path.join(dir, 'never-read.png'), { maxPixels: maxPixels as number }), 'BAD_OPTION', /maxPixels must be a positive whole number of pixels/);
  });
});

describe('truncated and corrupt files', () => {
  let png: Buffer;
  let jpeg: Buffer;
  beforeAll(async () => {
    const data = Buffer.alloc(64 * 64 * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 251; // busy, so the data is long
    png = await sharp(data, { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer();
    jpeg = await sharp(data, { raw: { width: 64, height: 64, channels: 3 } }).jpeg().toBuffer();
  });

  it.each([
    ['a PNG cut in half', () => png.subarray(0, png.length >> 1)],
    ['a JPEG cut short', () => jpeg.subarray(0, jpeg.length - 200)],
    ['a PNG with a damaged data chunk', () => Buffer.from(png).fill(0x55, 100, 140)],
    ['a PNG header only', () => png.subarray(0, 33)],
  ])('%s is a BAD_INPUT error naming the file', async (_what, bytes) => {
    const file = write('broken.png', bytes());
    await expectGradCamRejection(readImage(file), 'BAD_INPUT', new RegExp(`Cannot read ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: damaged or truncated \\(`));
  });

  it('refuses bytes that are not a Uint8Array', async () => {
    await expectGradCamRejection(decodeImage('cat.png' as never), 'BAD_INPUT', /decodeImage takes the encoded image as a Uint8Array/);
  });
});
