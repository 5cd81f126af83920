import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { checkOptionsObject } from '../core/options';
import { GradCamError, formatShape } from '../errors';
import { messageOf } from './message';
import { loadSharp } from './sharp';

/** How pixel values 0–255 are scaled: `'0-1'` (÷255), `'-1-1'` (÷127.5 − 1) or `'none'` (kept 0–255). */
export type PixelScale = '0-1' | '-1-1' | 'none';

/**
 * Default pixel limit of {@link readImage} and {@link decodeImage}: 50 million pixels (a 48-MP
 * phone photo, 8000×6000, fits). Checked from the file's header, before decoding, so a
 * decompression bomb (a small file claiming a huge image) is refused without allocating it.
 */
export const DEFAULT_MAX_PIXELS = 50_000_000;

/** The formats {@link writeImage} and {@link encodeImage} write. */
export type ImageFormat = 'png' | 'jpeg';

/** Options of {@link readImage} and {@link decodeImage}: the preprocessing a model expects. */
export interface ReadImageOptions {
  /**
   * Resize to `[height, width]`, or to a model's input size (its `inputs[0].shape`, `[N,H,W,C]`;
   * a model with free spatial dimensions leaves the image as it is). The image is stretched to
   * fit (aspect ratio not kept), with sharp's Lanczos-3 filter. Omitted: the image's own size.
   */
  size?: readonly [number, number] | LayersModel;
  /** Pixel scale, applied first; default `'0-1'`. */
  scale?: PixelScale;
  /** Per-channel mean `[r, g, b]` subtracted after scaling, in the scaled units (e.g. ImageNet's `[0.485, 0.456, 0.406]` with `'0-1'`). */
  mean?: readonly [number, number, number];
  /** Per-channel divisor `[r, g, b]` applied after the mean (e.g. ImageNet's `[0.229, 0.224, 0.225]`). */
  std?: readonly [number, number, number];
  /**
   * Largest image accepted, in pixels (width × height), checked before decoding; default
   * {@link DEFAULT_MAX_PIXELS}. Raise it for larger images you trust.
   */
  maxPixels?: number;
}

/** Options of {@link writeImage} and {@link encodeImage}. */
export interface WriteImageOptions {
  /** Output format; {@link writeImage} picks it from the extension (`.png`, `.jpg`, `.jpeg`) when omitted. */
  format?: ImageFormat;
  /** The tensor's value range: `1` for [0, 1], `255` for [0, 255]. Default: 255 for int32, else 1. */
  range?: 1 | 255;
  /** JPEG quality, 1–100 (default 90). */
  quality?: number;
}

/** An 8-bit RGB image, row-major, 3 bytes a pixel. @internal */
export interface RawImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Validated preprocessing. @internal */
export interface Preprocessing {
  readonly size?: readonly [number, number];
  readonly scale: PixelScale;
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
  readonly maxPixels: number;
}

const SCALES: readonly PixelScale[] = ['0-1', '-1-1', 'none'];

/**
 * Reads a PNG, JPEG or WebP file (any format sharp decodes) into a float32 `[H,W,3]` tensor,
 * preprocessed as `options` say. The image is the one viewers show: the EXIF orientation is
 * applied (so `H` and `W` are the displayed height and width). Alpha is dropped (not
 * composited: transparent pixels keep their stored colour), grey and palette images become
 * RGB, 16-bit images are reduced to 8 bits (their high byte), CMYK is converted to sRGB.
 * Needs the optional dependency `sharp`.
 *
 * @param file The image's path.
 * @param options Resize, scale, normalization and pixel limit; default: own size, values in [0, 1].
 * @returns A new `[H,W,3]` float32 tensor owned by the caller.
 * @throws GradCamError `BAD_INPUT` for a missing, unreadable, truncated or corrupt file, an
 *   image above the pixel limit, or when sharp is not installed; `BAD_OPTION` for bad options.
 */
export async function readImage(file: string, options: ReadImageOptions = {}): Promise<tf.Tensor3D> {
  const preprocessing = checkReadOptions(options);
  return rawToTensor(await resizeRaw(await decodeRaw(file, preprocessing.maxPixels), preprocessing.size), preprocessing);
}

/**
 * Like {@link readImage}, for an encoded image already in memory.
 *
 * @param bytes The encoded image (PNG, JPEG, WebP, …).
 * @param options As for {@link readImage}.
 * @returns A new `[H,W,3]` float32 tensor owned by the caller.
 * @throws GradCamError `BAD_INPUT` for bytes that are not an image (or truncated, or corrupt),
 *   or an image above the pixel limit; `BAD_OPTION` for bad options.
 */
export async function decodeImage(bytes: Uint8Array, options: ReadImageOptions = {}): Promise<tf.Tensor3D> {
  const preprocessing = checkReadOptions(options);
  if (!(bytes instanceof Uint8Array)) throw new GradCamError('BAD_INPUT', 'decodeImage takes the encoded image as a Uint8Array (or Buffer).');
  return rawToTensor(await resizeRaw(await decodeRaw(bytes, preprocessing.maxPixels), preprocessing.size), preprocessing);
}

/**
 * Writes an image tensor as a PNG or JPEG file, creating its folder if needed. Values are
 * scaled from `range` to 0–255, rounded and clipped.
 *
 * @param file The output path; its extension picks the format unless `options.format` does.
 * @param image `[H,W,3]` (RGB), `[H,W,4]` (RGBA, PNG only), `[H,W]` or `[H,W,1]` (grey); a
 *   leading batch of one (`[1,H,W,3]`, as `blend` gives for one image) is accepted. Not disposed.
 * @param options Format, value range, JPEG quality.
 * @throws GradCamError `BAD_INPUT` for a tensor of another shape or when sharp is not
 *   installed; `BAD_OPTION` for an unknown format or extension.
 */
export async function writeImage(file: string, image: tf.Tensor, options: WriteImageOptions = {}): Promise<void> {
  const format = options.format ?? formatOfPath(file);
  const bytes = await encodeImage(image, format, options);
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await fs.writeFile(file, bytes);
}

/**
 * Encodes an image tensor as PNG or JPEG bytes (see {@link writeImage} for the shapes).
 *
 * @param image The image; not disposed.
 * @param format `'png'` or `'jpeg'`.
 * @param options Value range and JPEG quality (`format` here is ignored).
 * @returns The encoded bytes.
 * @throws GradCamError `BAD_INPUT` or `BAD_OPTION` as {@link writeImage}.
 */
export async function encodeImage(image: tf.Tensor, format: ImageFormat, options: WriteImageOptions = {}): Promise<Buffer> {
  checkOptionsObject(options);
  if (format !== 'png' && format !== 'jpeg') {
    throw new GradCamError('BAD_OPTION', `format must be 'png' or 'jpeg', got ${String(format)}.`);
  }
  const quality = options.quality ?? 90;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new GradCamError('BAD_OPTION', `quality must be an integer from 1 to 100, got ${quality}.`);
  }
  const range = options.range ?? (image.dtype === 'int32' ? 255 : 1);
  if (range !== 1 && range !== 255) {
    throw new GradCamError('BAD_OPTION', `range must be 1 (values in [0,1]) or 255 (values in [0,255]), got ${String(range)}.`);
  }
  const [height, width, channels] = imageShape(image);
  if (channels === 4 && format === 'jpeg') throw new GradCamError('BAD_INPUT', 'JPEG has no alpha channel: write an RGBA image as PNG.');
  const bytes = tf.tidy(() => {
    const scaled = tf.mul(tf.cast(image, 'float32'), 255 / range);
    return tf.cast(tf.clipByValue(tf.round(scaled), 0, 255), 'int32');
  });
  let data: Int32Array;
  try {
    data = (await bytes.data()) as Int32Array;
  } finally {
    bytes.dispose();
  }
  const sharp = await loadSharp();
  let raw = sharp(Uint8Array.from(data), { raw: { width, height, channels } });
  // Without this sharp takes one band for sRGB and writes three.
  if (channels === 1) raw = raw.toColourspace('b-w');
  return format === 'png' ? raw.png().toBuffer() : raw.jpeg({ quality }).toBuffer();
}

/**
 * Decodes an image file or bytes into 8-bit RGB, as displayed (EXIF orientation applied). The
 * size is read from the header and checked against `maxPixels` before decoding. @internal
 *
 * @throws GradCamError `BAD_INPUT` naming the file and the cause.
 */
export async function decodeRaw(input: string | Uint8Array, maxPixels = DEFAULT_MAX_PIXELS): Promise<RawImage> {
  const name = typeof input === 'string' ? input : 'the image bytes';
  if (typeof input === 'string') {
    const stat = await fs.stat(input).catch(() => undefined);
    if (stat === undefined) throw new GradCamError('BAD_INPUT', `Cannot read ${input}: no such file.`);
    if (!stat.isFile()) throw new GradCamError('BAD_INPUT', `Cannot read ${input}: not a file.`);
  }
  const sharp = await loadSharp();
  // failOn 'warning' (sharp's default, pinned): a truncated or damaged file is an error, not a half-grey picture.
  try {
    // The header alone gives the size (limitInputPixels would hide it behind a generic message).
    const { width = 0, height = 0 } = await sharp(input, { limitInputPixels: false }).metadata();
    if (width * height > maxPixels) {
      throw new GradCamError(
        'BAD_INPUT',
        `Cannot read ${name}: the image is ${width}×${height} = ${width * height} pixels, above the limit of ${maxPixels}; raise maxPixels (--max-pixels) if you trust it.`,
      );
    }
    // rotate(): apply the EXIF orientation, so the heatmap lies over what viewers show.
    const { data, info } = await sharp(input, { limitInputPixels: maxPixels, failOn: 'warning' }).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels instead of 3`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (err) {
    if (err instanceof GradCamError) throw err;
    const why = messageOf(err).split('\n')[0];
    const hint = /unsupported image format/i.test(why) ? 'not a PNG, JPEG or WebP image' : `damaged or truncated (${why})`;
    throw new GradCamError('BAD_INPUT', `Cannot read ${name}: ${hint}.`);
  }
}

/** Resizes (stretches) an RGB image to `[height, width]` with sharp; the same image if already that size. @internal */
export async function resizeRaw(image: RawImage, size: readonly [number, number] | undefined): Promise<RawImage> {
  if (size === undefined || (size[0] === image.height && size[1] === image.width)) return image;
  const [height, width] = size;
  const sharp = await loadSharp();
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer();
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height };
}

/** An RGB image as a float32 `[H,W,3]` tensor, scaled and normalized. @internal */
export function rawToTensor(image: RawImage, preprocessing: Pick<Preprocessing, 'scale' | 'mean' | 'std'>): tf.Tensor3D {
  return tf.tidy(() => {
    let x: tf.Tensor = tf.tensor3d(Float32Array.from(image.data), [image.height, image.width, 3], 'float32');
    if (preprocessing.scale === '0-1') x = tf.div(x, 255);
    else if (preprocessing.scale === '-1-1') x = tf.sub(tf.div(x, 127.5), 1);
    if (preprocessing.mean !== undefined) x = tf.sub(x, tf.tensor1d(preprocessing.mean as number[], 'float32'));
    if (preprocessing.std !== undefined) x = tf.div(x, tf.tensor1d(preprocessing.std as number[], 'float32'));
    return x as tf.Tensor3D;
  });
}

/** Checks {@link ReadImageOptions} and resolves a model to its input size. @internal */
export function checkReadOptions(options: ReadImageOptions): Preprocessing {
  checkOptionsObject(options);
  const scale = options.scale ?? '0-1';
  if (!SCALES.includes(scale)) {
    throw new GradCamError('BAD_OPTION', `scale must be one of ${SCALES.map((s) => `'${s}'`).join(', ')}, got ${String(scale)}.`);
  }
  const triple = (name: string, v: readonly number[] | undefined, positive: boolean): readonly number[] | undefined => {
    if (v === undefined) return undefined;
    const ok = Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0));
    if (!ok) throw new GradCamError('BAD_OPTION', `${name} must be three ${positive ? 'positive ' : ''}finite numbers [r, g, b], got ${JSON.stringify(v)}.`);
    return [...v];
  };
  return {
    size: sizeOf(options.size),
    scale,
    mean: triple('mean', options.mean, false),
    std: triple('std', options.std, true),
    maxPixels: checkMaxPixels(options.maxPixels ?? DEFAULT_MAX_PIXELS, 'maxPixels'),
  };
}

/** A pixel limit, checked: a positive integer. @internal */
export function checkMaxPixels(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new GradCamError('BAD_OPTION', `${name} must be a positive whole number of pixels, got ${String(value)}.`);
  }
  return value;
}

function sizeOf(size: ReadImageOptions['size']): readonly [number, number] | undefined {
  if (size === undefined) return undefined;
  if (Array.isArray(size)) {
    const [h, w] = size as readonly number[];
    if (size.length !== 2 || !Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
      throw new GradCamError('BAD_OPTION', `size must be [height, width] with positive integers, got ${JSON.stringify(size)}.`);
    }
    return [h, w];
  }
  return modelInputSize(size as LayersModel);
}

/**
 * The `[H, W]` a model takes, or undefined when its spatial size is free. @internal
 *
 * @throws GradCamError `BAD_OPTION` for a model without one 4-D image input.
 */
export function modelInputSize(model: LayersModel): readonly [number, number] | undefined {
  const inputs = (model as { inputs?: ReadonlyArray<{ shape: ReadonlyArray<number | null> }> } | null)?.inputs;
  if (!Array.isArray(inputs)) throw new GradCamError('BAD_OPTION', 'size must be [height, width] or a LayersModel.');
  const shape = inputs.length === 1 ? inputs[0].shape : undefined;
  if (shape === undefined || shape.length !== 4) {
    const shapes = inputs.map((i) => formatShape(i.shape)).join(', ');
    throw new GradCamError('BAD_OPTION', `The model must take one image input [N,H,W,C]; it takes ${shapes}.`);
  }
  const [, h, w] = shape;
  return h == null || w == null ? undefined : [h, w];
}

/** `[height, width, channels]` of an image tensor, or a BAD_INPUT error showing its shape. */
function imageShape(image: tf.Tensor): [number, number, 1 | 3 | 4] {
  if (!(image instanceof tf.Tensor)) throw new GradCamError('BAD_INPUT', 'image must be a tf.Tensor.');
  const shape = image.rank === 4 && image.shape[0] === 1 ? image.shape.slice(1) : image.shape;
  const [h, w, c = 1] = shape;
  const ok = (shape.length === 2 || (shape.length === 3 && [1, 3, 4].includes(c))) && h > 0 && w > 0;
  if (!ok || image.dtype === 'string' || image.dtype === 'complex64') {
    throw new GradCamError(
      'BAD_INPUT',
      `image must be [H,W,3], [H,W,4], [H,W,1] or [H,W] (or with a batch of one) and numeric, got ${formatShape(image.shape)} ${image.dtype}.`,
    );
  }
  return [h, w, c as 1 | 3 | 4];
}

/** The format an output path's extension asks for. @internal */
export function formatOfPath(file: string): ImageFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.png') return 'png';
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg';
  throw new GradCamError('BAD_OPTION', `Cannot tell the image format of ${file}: use a .png, .jpg or .jpeg name, or pass { format }.`);
}
