/**
 * A model and its `GradCam`, ready to explain canvases: the part of the page that does tensor
 * work. Every tensor made here is disposed here, except each call's `result`, which the caller
 * disposes once it has drawn it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { type CamMethodName, GradCam, type GradCamResult } from '../../../src';

/** A model the page explains: a LayersModel, or a GraphModel (a converted SavedModel). */
export type PageModel = LayersModel | GraphModel;

/** `[N,H,W,C]` of the model's one input (null where any size goes), or an error for other models. */
function imageInputShape(model: PageModel): ReadonlyArray<number | null> {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new Error('The model must have one input and one output.');
  }
  // A GraphModel writes unknown sizes as -1, and may not know its input's shape at all.
  const shape = (model.inputs[0].shape ?? []).map((d) => (d === null || d < 0 ? null : d));
  if (shape.length !== 4 || shape[3] !== 3) {
    throw new Error(`The model's input must be RGB images [N,H,W,3], got [${shape.join(',')}].`);
  }
  return shape;
}

/** One class and its score, for the top-3 list. */
export interface Ranked {
  index: number;
  label: string;
  score: number;
}

/** What {@link Explainer.explain} returns. */
export interface Explained {
  /** The explanation of the top class; dispose it when drawn. */
  result: GradCamResult;
  /** The three best classes, best first. */
  top: Ranked[];
  /** Where the heatmap peaks, in the model input's pixels. */
  peak: { row: number; col: number };
}

/** Explains canvases with one model: preprocessing, top-3 and Grad-CAM. */
export class Explainer {
  /** `[height, width]` of the model's input. */
  readonly inputSize: readonly [number, number];
  private gradcam: GradCam;
  private readonly input: HTMLCanvasElement | OffscreenCanvas;
  private readonly inputContext: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

  /**
   * @param model a single-input image classifier `[N,H,W,3]` → `[N,K]`.
   * @param labels the class names (missing ones show as "class i").
   * @param range the input range the model expects, e.g. [0, 1] or [−1, 1].
   * @param layerName the target layer; omitted: GradCam's default (the last feature map).
   */
  constructor(
    readonly model: PageModel,
    private readonly labels: readonly string[],
    private range: readonly [number, number] = [0, 1],
    private layerName?: string,
  ) {
    const shape = imageInputShape(model);
    this.inputSize = [shape[1] ?? 224, shape[2] ?? 224];
    // A Web Worker has no document: there, an OffscreenCanvas.
    const [height, width] = this.inputSize;
    this.input = typeof document === 'undefined' ? new OffscreenCanvas(width, height) : document.createElement('canvas');
    [this.input.height, this.input.width] = this.inputSize;
    const context = this.input.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
    if (context === null) throw new Error('no 2-D canvas context');
    this.inputContext = context;
    this.gradcam = new GradCam(model, { layerName });
  }

  /** The target layer GradCam uses. */
  get layer(): string {
    return this.gradcam.layerName;
  }

  /** Changes the input range the model expects (e.g. [−1, 1] for MobileNet). */
  setRange(range: readonly [number, number]): void {
    this.range = range;
  }

  /** Re-plans GradCam: after a backend switch, or for another target layer (`undefined`: the default). */
  replan(layerName: string | undefined = this.layerName): void {
    const next = new GradCam(this.model, { layerName });
    this.gradcam.dispose();
    this.gradcam = next;
    this.layerName = layerName;
  }

  /**
   * Explains the model's top class for the picture on `canvas` (resized to the model's input
   * size, the whole picture: crop it first to keep its aspect ratio). Never blocks on the
   * device: `explainAsync`, and the top-3 scores read with `await data()`.
   */
  async explain(canvas: HTMLCanvasElement | OffscreenCanvas | ImageBitmap, method: CamMethodName): Promise<Explained> {
    const [height, width] = this.inputSize;
    let source = canvas;
    if (canvas.width !== width || canvas.height !== height) {
      this.inputContext.drawImage(canvas, 0, 0, width, height);
      source = this.input;
    }
    const [low, high] = this.range;
    // fromPixels takes any canvas-like source, an OffscreenCanvas too; its type says HTMLCanvasElement.
    const pixels = source as HTMLCanvasElement | ImageBitmap;
    const image = tf.tidy(() => tf.add(tf.mul(tf.cast(tf.browser.fromPixels(pixels), 'float32'), (high - low) / 255), low));
    let scores: tf.Tensor | undefined;
    let result: GradCamResult | undefined;
    try {
      scores = tf.tidy(() => this.model.predict(tf.expandDims(image, 0)) as tf.Tensor);
      result = await this.gradcam.explainAsync(image, { method }); // the top class
      const [values, map] = await Promise.all([scores.data(), result.heatmap.data()]);
      const top = Array.from(values, (score, index) => ({ index, score, label: this.labels[index] ?? `class ${index}` }))
        .sort((a, b) => b.score - a.score)
        .slice(0, 3);
      let best = 0;
      for (let i = 1; i < map.length; i++) if (map[i] > map[best]) best = i;
      return { result, top, peak: { row: Math.floor(best / width), col: best % width } };
    } catch (err) {
      result?.dispose();
      throw err;
    } finally {
      tf.dispose([image, scores ?? []]);
    }
  }

  /** Frees GradCam's tensors and the model. */
  dispose(): void {
    this.gradcam.dispose();
    this.model.dispose();
  }
}
