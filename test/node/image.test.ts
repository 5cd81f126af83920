import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import sharp from 'sharp';
import { GradCamError } from '../../src';
import { decodeImage, encodeImage, readImage, writeImage } from '../../src/node';
import { expectClose, expectGradCamRejection as expectRejects } from '../helpers/expect';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradcam-image-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes raw 8-bit pixels with sharp itself, independently of the code under test. */
async function rawFile(name: string, pixels: number[], width: number, height: number, channels: 1 | 3 | 4, format: 'png' | 'webp' = 'png'): Promise<string> {
  const file = path.join(dir, name);
  const s = sharp(Uint8Array.from(pixels), { raw: { width, height, channels } });
  await (format === 'png' ? s.png() : s.webp({ lossless: true })).toFile(file);
  return file;
}

// A 2×3 image whose every channel value differs.
const PIXELS = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 255, 254, 253];

describe('writeImage / readImage round trip', () => {
  it('writes an int32 0–255 tensor as PNG and reads the same values back exactly', async () => {
    const values = Array.from({ length: 5 * 7 * 3 }, (_, i) => (i * 37) % 256);
    const image = tf.tensor3d(values, [5, 7, 3], 'int32');
    const file = path.join(dir, 'sub', 'round.png'); // the folder does not exist yet
    await writeImage(file, image);
    image.dispose();
    expect(fs.readFileSync(file).subarray(1, 4).toString('ascii')).toBe('PNG');
    const back = await readImage(file, { scale: 'none' });
    expect(back.shape).toEqual([5, 7, 3]);
    expect(back.dtype).toBe('float32');
    expect(Array.from(back.dataSync())).toEqual(values);
    back.dispose();
  });

  it('writes a float [0,1] tensor as k/255 levels and reads it back in [0,1]', async () => {
    const levels = PIXELS;
    const image = tf.tensor3d(levels.map((v) => v / 255), [2, 3, 3]);
    const file = path.join(dir, 'float.png');
    await writeImage(file, image);
    image.dispose();
    const back = await readImage(file);
    expectClose(back.dataSync(), levels.map((v) => v / 255), 1e-6);
    back.dispose();
  });

  it('rounds, clips and scales by range', async () => {
    const image = tf.tensor3d([-0.5, 0.5 / 255, 1.5 / 255, 2, 0.2, 0.4], [1, 2, 3]);
    const out = await readImage(await writeTo('clip.png', image), { scale: 'none' });
    // −0.5 → 0, 0.5 → round half to even 0, 1.5 → 2, 2 → 255, 0.2·255 = 51, 0.4·255 = 102.
    expect(Array.from(out.dataSync())).toEqual([0, 0, 2, 255, 51, 102]);
    const asRange255 = tf.tensor3d([0, 127.6, 300, 12, 13, 14], [1, 2, 3]);
    const out255 = await readImage(await writeTo('range.png', asRange255, { range: 255 }), { scale: 'none' });
    expect(Array.from(out255.dataSync())).toEqual([0, 128, 255, 12, 13, 14]);
    tf.dispose([image, out, asRange255, out255]);
  });

  it('writes grey [H,W] and a batch of one [1,H,W,3]', async () => {
    const grey = tf.tensor2d([[0, 0.5], [1, 0.25]]);
    const greyFile = await writeTo('grey.png', grey);
    expect((await sharp(greyFile).metadata()).channels).toBe(1);
    expect(Array.from(await sharp(greyFile).extractChannel(0).raw().toBuffer())).toEqual([0, 128, 255, 64]);
    const batch = tf.fill([1, 3, 2, 3], 1);
    const b = await sharp(await writeTo('batch.png', batch)).metadata();
    expect([b.height, b.width, b.channels]).toEqual([3, 2, 3]);
    tf.dispose([grey, batch]);
  });

  it('writes JPEG by extension, close to the input for a flat colour', async () => {
    const image = tf.tidy(() => tf.mul(tf.ones([16, 16, 3]), tf.tensor1d([0.8, 0.4, 0.2])));
    const file = await writeTo('flat.jpg', image);
    expect(Array.from(fs.readFileSync(file).subarray(0, 2))).toEqual([0xff, 0xd8]);
    const back = await readImage(file);
    const mean = tf.tidy(() => Array.from(tf.mean(back, [0, 1]).dataSync()));
    expectClose(mean, [0.8, 0.4, 0.2], 3 / 255);
    tf.dispose([image, back]);
  });

  it('encodeImage gives the bytes writeImage writes', async () => {
    const image = tf.tensor3d(PIXELS, [2, 3, 3], 'int32');
    const bytes = await encodeImage(image, 'png');
    expect(Buffer.compare(bytes, fs.readFileSync(await writeTo('enc.png', image)))).toBe(0);
    const back = await decodeImage(bytes, { scale: 'none' });
    expect(Array.from(back.dataSync())).toEqual(PIXELS);
    tf.dispose([image, back]);
  });

  it('leaks no tensors', async () => {
    const image = tf.tensor3d(PIXELS, [2, 3, 3], 'int32');
    const before = tf.memory().numTensors;
    const back = await readImage(await writeTo('leak.png', image), { size: [4, 4], scale: '-1-1', mean: [0, 0, 0], std: [1, 1, 1] });
    back.dispose();
    expect(tf.memory().numTensors).toBe(before);
    image.dispose();
  });

  async function writeTo(name: string, image: tf.Tensor, options = {}): Promise<string> {
    const file = path.join(dir, name);
    await writeImage(file, image, options);
    return file;
  }
});

describe('readImage preprocessing', () => {
  let file: string;
  beforeAll(async () => {
    file = await rawFile('pixels.png', PIXELS, 3, 2, 3);
  });

  it('scales to [0,1] by default', async () => {
    const x = await readImage(file);
    expect(x.shape).toEqual([2, 3, 3]);
    expectClose(x.dataSync(), PIXELS.map((v) => v / 255));
    x.dispose();
  });

  it("scales to [-1,1] with '-1-1'", async () => {
    const x = await readImage(file, { scale: '-1-1' });
    // 0 → −1, 255 → 1, 127.5 would be 0: e.g. 130 → 130/127.5 − 1 = 0.0196…
    expectClose(x.dataSync(), PIXELS.map((v) => v / 127.5 - 1), 1e-6);
    expect(x.dataSync()[0]).toBeCloseTo(-1, 6);
    expect(x.dataSync()[15]).toBeCloseTo(1, 6);
    x.dispose();
  });

  it('subtracts a per-channel mean and divides by std, after scaling', async () => {
    const mean = [0.485, 0.456, 0.406] as const;
    const std = [0.229, 0.224, 0.225] as const;
    const x = await readImage(file, { mean, std });
    expectClose(x.dataSync(), PIXELS.map((v, i) => (v / 255 - mean[i % 3]) / std[i % 3]), 1e-5);
    x.dispose();
    // Caffe style: raw 0–255 values minus a mean; first pixel (0,10,20) − (1,2,3).
    const caffe = await readImage(file, { scale: 'none', mean: [1, 2, 3] });
    expect(Array.from(caffe.dataSync()).slice(0, 6)).toEqual([-1, 8, 17, 29, 38, 47]);
    caffe.dispose();
  });

  it("resizes to [H,W] or to a model's input size, stretching", async () => {
    const flat = await rawFile('wide.png', Array.from({ length: 10 * 20 * 3 }, (_, i) => i % 256), 20, 10, 3);
    const sized = await readImage(flat, { size: [5, 8], scale: 'none' });
    expect(sized.shape).toEqual([5, 8, 3]);
    const model = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [7, 4, 3], filters: 1, kernelSize: 1 })] });
    const forModel = await readImage(flat, { size: model });
    expect(forModel.shape).toEqual([7, 4, 3]);
    // A free spatial size leaves the image as it is.
    const free = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [null, null, 3], filters: 1, kernelSize: 1 })] });
    const kept = await readImage(flat, { size: free });
    expect(kept.shape).toEqual([10, 20, 3]);
    tf.dispose([sized, forModel, kept]);
    model.dispose();
    free.dispose();
  });

  it('keeps a flat colour flat when resizing', async () => {
    const pixels = Array.from({ length: 9 * 6 }, () => [200, 100, 50]).flat();
    const flat = await rawFile('flat2.png', pixels, 9, 6, 3);
    const x = await readImage(flat, { size: [4, 13], scale: 'none' });
    expect(new Set(Array.from(x.dataSync()))).toEqual(new Set([200, 100, 50]));
    x.dispose();
  });

  it('turns grey into RGB and drops alpha', async () => {
    const grey = await readImage(await rawFile('g.png', [0, 100, 200, 255], 2, 2, 1), { scale: 'none' });
    expect(grey.shape).toEqual([2, 2, 3]);
    expect(Array.from(grey.dataSync())).toEqual([0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255]);
    const rgba = await readImage(await rawFile('a.png', [10, 20, 30, 0, 40, 50, 60, 255], 2, 1, 4), { scale: 'none' });
    expect(Array.from(rgba.dataSync())).toEqual([10, 20, 30, 40, 50, 60]);
    tf.dispose([grey, rgba]);
  });

  it('reads WebP', async () => {
    const x = await readImage(await rawFile('w.webp', PIXELS, 3, 2, 3, 'webp'), { scale: 'none' });
    expect(Array.from(x.dataSync())).toEqual(PIXELS);
    x.dispose();
  });
});

describe('image errors', () => {
  it('names a missing file', async () => {
    await expectRejects(readImage(path.join(dir, 'nope.png')), 'BAD_INPUT', /nope\.png: no such file/);
  });

  it('names a file that is not an image', async () => {
    const file = path.join(dir, 'text.png');
    fs.writeFileSync(file, 'hello, not a png');
    await expectRejects(readImage(file), 'BAD_INPUT', /text\.png: not a PNG, JPEG or WebP image/);
    await expectRejects(readImage(dir), 'BAD_INPUT', /not a file/);
  });

  it('rejects bad preprocessing options before reading', async () => {
    const missing = path.join(dir, 'never-read.png');
    await expectRejects(readImage(missing, { scale: '0-255' as never }), 'BAD_OPTION', /scale must be one of '0-1', '-1-1', 'none'/);
    await expectRejects(readImage(missing, { mean: [1, 2] as never }), 'BAD_OPTION', /mean must be three finite numbers/);
    await expectRejects(readImage(missing, { std: [1, 0, 1] }), 'BAD_OPTION', /std must be three positive finite numbers/);
    await expectRejects(readImage(missing, { size: [0, 3] }), 'BAD_OPTION', /size must be \[height, width\]/);
  });

  it('rejects unknown output formats and shapes, leaking nothing', async () => {
    const image = tf.zeros([2, 2, 3]);
    const before = tf.memory().numTensors;
    await expectRejects(writeImage(path.join(dir, 'x.gif'), image), 'BAD_OPTION', /x\.gif.*\.png, \.jpg or \.jpeg/);
    const wrong = tf.zeros([2, 2, 2]);
    await expectRejects(writeImage(path.join(dir, 'x.png'), wrong), 'BAD_INPUT', /\[2,2,2\]/);
    await expectRejects(writeImage(path.join(dir, 'x.png'), image, { range: 100 as never }), 'BAD_OPTION', /range/);
    await expectRejects(encodeImage(tf.zeros([2, 2, 4]), 'jpeg'), 'BAD_INPUT', /alpha/);
    wrong.dispose();
    expect(tf.memory().numTensors).toBe(before + 1); // the [2,2,4] zeros above, made by the test
    image.dispose();
  });

  it('explains how to install sharp when it is missing', async () => {
    await jest.isolateModulesAsync(async () => {
      jest.doMock('sharp', () => {
        throw Object.assign(new Error("Cannot find module 'sharp'"), { code: 'MODULE_NOT_FOUND' });
      });
      const node = await import('../../src/node');
      const image = tf.zeros([2, 2, 3]);
      const err = await node.writeImage(path.join(dir, 'y.png'), image).catch((e: unknown) => e);
      image.dispose();
      // A separate module instance: compare by name and code, not instanceof.
      expect((err as Error).name).toBe('GradCamError');
      expect((err as GradCamError).code).toBe('BAD_INPUT');
      expect((err as Error).message).toMatch(/npm install sharp/);
      expect((err as Error).message).toMatch(/Cannot find module 'sharp'/);
    });
    jest.dontMock('sharp');
  });
});
