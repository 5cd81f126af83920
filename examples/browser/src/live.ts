/**
 * The live loop: take a frame from the source, explain it, draw the heatmap over it, report
 * timings. Frames that arrive while one is being explained are skipped, never queued, so the
 * page shows the newest frame and memory stays flat however slow the backend is.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CamMethodName, ColormapName } from '../../../src';
import type { ExplainedFrame, FrameWork } from './frame-work';
import { AnimatedScene, type SceneBox } from './scene';

/** A frame to explain: the picture, and where the target is when the source knows it. */
export interface Frame {
  canvas: HTMLCanvasElement;
  /** The target's box and class index, when the source knows them. */
  box?: SceneBox;
  label?: number;
  /** Draw this frame scaled up without smoothing (small synthetic frames). */
  pixelated: boolean;
}

/** Where frames come from. */
export interface FrameSource {
  /** Set for video sources: frames are then paced by `requestVideoFrameCallback` where available. */
  readonly video?: HTMLVideoElement;
  /** The current frame. */
  capture(): Frame;
  /** Releases the source (camera, object URL). */
  stop(): void;
}

/** The built-in animated scene, at the demo model's input size. */
export class SceneSource implements FrameSource {
  private readonly canvas: HTMLCanvasElement;
  private readonly scene: AnimatedScene;
  private readonly start = performance.now();

  /**
   * @param size the scene's side in pixels (the demo model's input size).
   * @param seed picks the shapes' colours and paths.
   * @param shapeSeconds how long each shape stays on screen.
   */
  constructor(size: number, seed: number, shapeSeconds?: number) {
    this.canvas = document.createElement('canvas');
    this.canvas.width = this.canvas.height = size;
    this.scene = new AnimatedScene(this.canvas, seed, shapeSeconds);
  }

  capture(): Frame {
    const { box, label } = this.scene.draw((performance.now() - this.start) / 1000);
    return { canvas: this.canvas, box, label, pixelated: true };
  }

  stop(): void {}
}

/** A `<video>` (webcam or file): each frame's centre square, at the display's size. */
export class VideoSource implements FrameSource {
  private readonly canvas: HTMLCanvasElement;
  private readonly context: CanvasRenderingContext2D;

  constructor(
    readonly video: HTMLVideoElement,
    size: number,
    private readonly release: () => void,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.width = this.canvas.height = size;
    const context = this.canvas.getContext('2d', { willReadFrequently: true });
    if (context === null) throw new Error('no 2-D canvas context');
    this.context = context;
  }

  capture(): Frame {
    const { videoWidth: w, videoHeight: h } = this.video;
    const side = Math.min(w, h);
    this.context.drawImage(this.video, (w - side) / 2, (h - side) / 2, side, side, 0, 0, this.canvas.width, this.canvas.height);
    return { canvas: this.canvas, pixelated: false };
  }

  stop(): void {
    this.release();
  }
}

/** Counters the page shows and the end-to-end test reads (`window.__gradcam`). */
export interface LiveStats {
  /** Frames explained since the last reset. */
  frames: number;
  /** Frames dropped because the previous one was still being explained. */
  skipped: number;
  /** Where frames are explained: 'worker' (a Web Worker) or 'main' (the page's thread), and why not in a worker. */
  thread: 'worker' | 'main' | '';
  threadNote: string;
  /** The page's main-thread tasks over 50 ms (`longtask` entries) since the last reset: how many, the longest, in ms. */
  longTasks: number;
  longestTaskMs: number;
  /** Frames with a known target box, and those whose heatmap peak fell inside it. */
  scored: number;
  hits: number;
  /** Frames whose top class is the target's class (when the source knows it). */
  correct: number;
  /** `scored` and `hits` per target class (index in the model's classes). */
  scoredByClass: number[];
  hitsByClass: number[];
  /** Sums over the explained frames, in ms: reading the frame, inference (to the heatmap read-back), drawing. */
  captureMs: number;
  inferenceMs: number;
  drawMs: number;
  /** How the last frame's heatmap reached its canvas (drawHeatmap's DrawPath), '' before the first. */
  drawPath: string;
  /** Explained frames per second over the last second or so. */
  fps: number;
  /** `tf.memory().numTensors` after each frame, its value after frame 10, and the backend. */
  numTensors: number;
  numTensorsAtFrame10: number;
  backend: string;
  /** The threads of the wasm backend where frames are explained (0 on another backend). */
  wasmThreads: number;
  /** The last frame's top class and whether its peak hit the box. */
  label: string;
  hit: boolean | null;
  /** Set while frames are being explained. */
  running: boolean;
  /** What paces the frames: `requestVideoFrameCallback` (video sources) or `requestAnimationFrame`. */
  pacing: 'video-frame' | 'animation-frame' | '';
}

/** Counters at zero, with the current tensor count and backend. */
export function freshLiveStats(): LiveStats {
  return {
    frames: 0,
    skipped: 0,
    thread: '',
    threadNote: '',
    longTasks: 0,
    longestTaskMs: 0,
    scored: 0,
    hits: 0,
    correct: 0,
    scoredByClass: [],
    hitsByClass: [],
    captureMs: 0,
    inferenceMs: 0,
    drawMs: 0,
    drawPath: '',
    fps: 0,
    numTensors: tf.memory().numTensors,
    numTensorsAtFrame10: -1,
    backend: tf.getBackend(),
    wasmThreads: 0,
    label: '',
    hit: null,
    running: false,
    pacing: '',
  };
}

/** What the loop needs from the page on every frame. */
export interface LiveSettings {
  method(): CamMethodName;
  colormap(): ColormapName;
  opacity(): number;
}

/** Runs the source → explain → draw loop. */
export class LiveLoop {
  readonly stats: LiveStats = freshLiveStats();
  private source: FrameSource | undefined;
  private running = false;
  private busy: Promise<void> | undefined;
  private readonly display: CanvasRenderingContext2D;
  private recent: number[] = [];

  /**
   * @param work explains frames, on the page's thread or in a worker.
   * @param onFrame called after each frame with its explanation (before its heatmap is released).
   * @param onError called when a frame fails; the loop stops.
   */
  constructor(
    private work: FrameWork,
    private readonly overlay: HTMLCanvasElement,
    private readonly settings: LiveSettings,
    private readonly onFrame: (explained: ExplainedFrame, stats: LiveStats) => void,
    private readonly onError: (error: unknown) => void,
  ) {
    const display = overlay.getContext('2d');
    if (display === null) throw new Error('no 2-D canvas context');
    this.display = display;
    // The page's responsiveness: every main-thread task over 50 ms, as the browser reports it.
    if (typeof PerformanceObserver !== 'undefined' && PerformanceObserver.supportedEntryTypes?.includes('longtask')) {
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          this.stats.longTasks++;
          this.stats.longestTaskMs = Math.max(this.stats.longestTaskMs, entry.duration);
        }
      }).observe({ type: 'longtask' });
    }
  }

  /** Zeroes the counters (after a change of source, model, method or backend). */
  resetStats(): void {
    Object.assign(this.stats, freshLiveStats(), { running: this.running, thread: this.work.thread, threadNote: this.stats.threadNote });
    this.recent = [];
  }

  /** Uses another source from the next frame on (the old one is stopped). */
  setSource(source: FrameSource | undefined): void {
    this.source?.stop();
    this.source = source;
    this.resetStats();
    if (this.running) this.schedule();
  }

  /** Explains on another thread from the next frame on; `note` says why, when not in a worker. */
  setWork(work: FrameWork, note = ''): void {
    this.work = work;
    this.stats.threadNote = note;
    this.resetStats();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stats.running = true;
    this.schedule();
  }

  /** Stops taking frames; resolves once the frame in flight, if any, is done. */
  async stop(): Promise<void> {
    this.running = false;
    this.stats.running = false;
    await this.busy;
  }

  get isRunning(): boolean {
    return this.running;
  }

  private schedule(): void {
    if (!this.running || this.source === undefined) return;
    const source = this.source;
    const video = source.video;
    const next = (): void => this.tick(source);
    if (video !== undefined && typeof video.requestVideoFrameCallback === 'function') {
      video.requestVideoFrameCallback(next);
      this.stats.pacing = 'video-frame';
    } else {
      requestAnimationFrame(next);
      this.stats.pacing = 'animation-frame';
    }
  }

  private tick(source: FrameSource): void {
    if (!this.running || source !== this.source) return; // a stale callback of an old source
    this.schedule(); // ask for the next frame first: frames keep coming while this one is explained
    if (this.busy !== undefined) {
      this.stats.skipped++; // never queue: the newest frame wins
      return;
    }
    if (source.video !== undefined && source.video.readyState < 2) return; // no frame yet
    this.busy = this.process(source).finally(() => {
      this.busy = undefined;
    });
  }

  private async process(source: FrameSource): Promise<void> {
    const t0 = performance.now();
    const frame = source.capture();
    const t1 = performance.now();
    let explained: ExplainedFrame | undefined;
    try {
      explained = await this.work.explainFrame(frame.canvas, this.settings.method(), this.settings.colormap());
      this.composite(frame, explained.heat);
      this.count(frame, explained, t1 - t0, performance.now());
      this.onFrame(explained, this.stats);
    } catch (err) {
      this.running = false;
      this.stats.running = false;
      this.onError(err);
    } finally {
      explained?.release();
    }
    if (this.stats.frames === 10) this.stats.numTensorsAtFrame10 = this.stats.numTensors;
  }

  /** The frame, and the coloured heatmap over it at the chosen opacity. */
  private composite(frame: Frame, heat: CanvasImageSource): void {
    const { width, height } = this.overlay;
    const ctx = this.display;
    ctx.globalAlpha = 1;
    ctx.imageSmoothingEnabled = !frame.pixelated;
    ctx.drawImage(frame.canvas, 0, 0, width, height);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.globalAlpha = this.settings.opacity();
    ctx.drawImage(heat, 0, 0, width, height);
    ctx.globalAlpha = 1;
  }

  private count(frame: Frame, explained: ExplainedFrame, capture: number, now: number): void {
    const s = this.stats;
    s.frames++;
    s.captureMs += capture;
    s.inferenceMs += explained.inferenceMs;
    s.drawMs += explained.drawMs;
    s.drawPath = explained.drawPath;
    s.backend = explained.backend;
    s.numTensors = explained.numTensors;
    s.wasmThreads = explained.wasmThreads;
    s.label = explained.top[0]?.label ?? '';
    this.recent.push(now);
    while (this.recent.length > 0 && this.recent[0] < now - 1000) this.recent.shift();
    s.fps = this.recent.length > 1 ? ((this.recent.length - 1) * 1000) / (now - this.recent[0]) : 0;
    if (frame.box === undefined) {
      s.hit = null;
      return;
    }
    // The peak in the frame's pixels (the model's input may be larger or smaller).
    const [h, w] = explained.inputSize;
    const row = ((explained.peak.row + 0.5) * frame.canvas.height) / h;
    const col = ((explained.peak.col + 0.5) * frame.canvas.width) / w;
    const { top, left, bottom, right } = frame.box;
    s.hit = row >= top && row < bottom && col >= left && col < right;
    s.scored++;
    if (s.hit) s.hits++;
    if (explained.top[0]?.index === frame.label) s.correct++;
    if (frame.label !== undefined) {
      const k = frame.label;
      s.scoredByClass[k] = (s.scoredByClass[k] ?? 0) + 1;
      s.hitsByClass[k] = (s.hitsByClass[k] ?? 0) + (s.hit ? 1 : 0);
    }
  }
}
