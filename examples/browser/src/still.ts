/**
 * Still-image mode: one picture, its heatmap and its overlay side by side, the overlay at the
 * picture's full resolution (drawHeatmap resizes the model-sized heatmap to it), and a PNG
 * download of the overlay.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CamMethodName, ColormapName } from '../../../src';
import { drawHeatmap } from '../../../src/browser';
import type { Explainer, Ranked } from './explainer';

/** The longest side a picked picture keeps (larger ones are scaled down). */
const MAX_SIDE = 1600;

/** Holds the current picture and redraws its explanation on demand. */
export class StillView {
  private readonly picture = document.createElement('canvas');
  private hasPicture = false;

  constructor(
    private readonly heatmapCanvas: HTMLCanvasElement,
    private readonly overlayCanvas: HTMLCanvasElement,
  ) {}

  get ready(): boolean {
    return this.hasPicture;
  }

  /** Takes a picture (a file's bitmap, a canvas…), scaled down to at most MAX_SIDE. */
  setPicture(source: CanvasImageSource & { width: number; height: number }): void {
    const scale = Math.min(1, MAX_SIDE / Math.max(source.width, source.height));
    this.picture.width = Math.max(1, Math.round(source.width * scale));
    this.picture.height = Math.max(1, Math.round(source.height * scale));
    const ctx = this.picture.getContext('2d', { willReadFrequently: true });
    if (ctx === null) throw new Error('no 2-D canvas context');
    ctx.imageSmoothingEnabled = scale < 1 || source.width >= 256;
    ctx.drawImage(source, 0, 0, this.picture.width, this.picture.height);
    const aspect = `${this.picture.width} / ${this.picture.height}`;
    this.heatmapCanvas.style.aspectRatio = aspect;
    this.overlayCanvas.style.aspectRatio = aspect;
    this.hasPicture = true;
  }

  /** Explains the picture and draws the heatmap and the overlay; returns the top 3 classes. */
  async render(explainer: Explainer, method: CamMethodName, colormap: ColormapName, alpha: number): Promise<Ranked[]> {
    if (!this.hasPicture) return [];
    const explained = await explainer.explain(this.picture, method);
    const image = tf.browser.fromPixels(this.picture); // int32 [H,W,3] at full resolution
    try {
      await drawHeatmap(this.heatmapCanvas, explained.result, { colormap });
      await drawHeatmap(this.overlayCanvas, explained.result, { colormap, alpha, image });
      return explained.top;
    } finally {
      image.dispose();
      explained.result.dispose();
    }
  }

  /** Saves the overlay as a PNG file (the browser's download). */
  download(name = 'gradcam-overlay.png'): void {
    this.overlayCanvas.toBlob((blob) => {
      if (blob === null) return;
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = name;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    }, 'image/png');
  }
}
