/**
 * The animated scene: one of the demo model's five shapes moving smoothly over a gradient
 * background with a little noise, drawn with the canvas 2-D API at the model's input size. It
 * looks like the demo generator's scenes (src/demo/scenes.ts), so the demo model recognises it,
 * and it knows the shape's bounding box in every frame, so a test can check where the heatmap
 * points. It needs no camera and no file: it works offline and in headless browsers.
 */
import { mulberry32 } from '../../../src/demo/prng';
import { STAR } from '../../../src/demo/scenes';

/** The shapes, in the demo model's class order. */
export const SHAPES = ['circle', 'square', 'triangle', 'cross', 'star'] as const;
export type Shape = (typeof SHAPES)[number];

/** A box in scene pixels, `bottom` and `right` exclusive (the demo package's `Box`). */
export interface SceneBox {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

/** What one drawn frame shows. */
export interface SceneFrame {
  /** Index of the shape in {@link SHAPES}. */
  label: number;
  /** The pixels the shape may cover (its box rounded outwards). */
  box: SceneBox;
}

type Rgb = readonly [number, number, number];

/** How long one shape stays before the next one (new shape, colours and path), in seconds, by default. */
const SEGMENT_SECONDS = 4;
/** Minimum RGB distance (in [0,1] units) between the shape and the background, as the generator's. */
const MIN_CONTRAST = 0.45;

/** One segment of the animation: a shape, its colour, its background and its path. */
interface Segment {
  label: number;
  colour: Rgb;
  from: Rgb;
  to: Rgb;
  angle: number;
  /** Side as a fraction of the scene side. */
  side: number;
  /** Lissajous path: x = cx + ax·sin(fx·t + px), y likewise. In fractions of the free range. */
  fx: number;
  fy: number;
  px: number;
  py: number;
}

function makeSegment(index: number, seed: number): Segment {
  const random = mulberry32(Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b));
  const colour3 = (): Rgb => [random(), random(), random()];
  const from = colour3();
  const to = colour3();
  // The background colours the shape can meet (the gradient's ends and middle): keep the
  // candidate that stands out most from all of them, at least MIN_CONTRAST when possible.
  const under: Rgb[] = [from, to, from.map((c, i) => (c + to[i]) / 2) as unknown as Rgb];
  const contrast = (c: Rgb): number => Math.min(...under.map((u) => Math.hypot(c[0] - u[0], c[1] - u[1], c[2] - u[2])));
  let colour = colour3();
  for (let attempt = 0; attempt < 200 && contrast(colour) < MIN_CONTRAST + 0.1; attempt++) {
    const candidate = colour3();
    if (contrast(candidate) > contrast(colour)) colour = candidate;
  }
  return {
    label: index % SHAPES.length, // every shape in turn
    colour,
    from,
    to,
    angle: random() * 2 * Math.PI,
    side: 0.26 + 0.1 * random(),
    fx: 0.6 + 0.5 * random(),
    fy: 0.5 + 0.5 * random(),
    px: random() * 2 * Math.PI,
    py: random() * 2 * Math.PI,
  };
}

/** Traces `shape` filling the square at (x, y) of side `s` as the current path. */
function traceShape(ctx: CanvasRenderingContext2D, shape: Shape, x: number, y: number, s: number): void {
  ctx.beginPath();
  switch (shape) {
    case 'circle':
      ctx.arc(x + s / 2, y + s / 2, s / 2, 0, 2 * Math.PI);
      break;
    case 'square':
      ctx.rect(x, y, s, s);
      break;
    case 'triangle': // apex at the top centre, base along the bottom
      ctx.moveTo(x + s / 2, y);
      ctx.lineTo(x + s, y + s);
      ctx.lineTo(x, y + s);
      ctx.closePath();
      break;
    case 'cross': // a plus of two bars a third of the side thick
      ctx.rect(x + s / 3, y, s / 3, s);
      ctx.rect(x, y + s / 3, s, s / 3);
      break;
    case 'star':
      STAR.forEach(([u, v], k) => (k === 0 ? ctx.moveTo(x + u * s, y + v * s) : ctx.lineTo(x + u * s, y + v * s)));
      ctx.closePath();
      break;
  }
}

const css = (c: Rgb): string => `rgb(${c.map((v) => Math.round(255 * v)).join(',')})`;

/**
 * Draws the animated scene into a square canvas (its side is the scene's), frame by frame.
 *
 * @example
 * ```ts
 * const scene = new AnimatedScene(canvas, 7);
 * const frame = scene.draw(performance.now() / 1000); // { label, box }
 * ```
 */
export class AnimatedScene {
  private readonly ctx: CanvasRenderingContext2D;
  private readonly size: number;
  private segmentIndex = -1;
  private segment: Segment | undefined;
  private readonly noiseState: () => number;

  /**
   * @param canvas a square canvas; its width is the scene's side (use the model's input size).
   * @param seed picks the sequence of shapes, colours and paths.
   * @param segmentSeconds how long each shape stays (the five shapes come in turn).
   */
  constructor(
    canvas: HTMLCanvasElement,
    private readonly seed = 1,
    private readonly segmentSeconds = SEGMENT_SECONDS,
  ) {
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (ctx === null) throw new Error('AnimatedScene: no 2-D context');
    this.ctx = ctx;
    this.size = canvas.width;
    this.noiseState = mulberry32(seed ^ 0x5bd1e995);
  }

  /**
   * Draws the scene at time `t` (seconds) and returns what it shows.
   *
   * @param t the animation time; the same `t` and seed always give the same shape and place
   *   (the pixel noise changes from frame to frame, like a camera's).
   */
  draw(t: number): SceneFrame {
    const index = Math.max(0, Math.floor(t / this.segmentSeconds));
    if (index !== this.segmentIndex || this.segment === undefined) {
      this.segment = makeSegment(index, this.seed);
      this.segmentIndex = index;
    }
    const seg = this.segment;
    const { ctx, size } = this;

    // Background: a linear gradient at a random angle.
    const [dx, dy] = [Math.cos(seg.angle) * size * 0.5, Math.sin(seg.angle) * size * 0.5];
    const gradient = ctx.createLinearGradient(size / 2 - dx, size / 2 - dy, size / 2 + dx, size / 2 + dy);
    gradient.addColorStop(0, css(seg.from));
    gradient.addColorStop(1, css(seg.to));
    ctx.globalAlpha = 1;
    ctx.fillStyle = gradient;
    ctx.fillRect(0, 0, size, size);

    // The shape, moving along its path (anti-aliased by the canvas).
    const side = seg.side * size;
    const free = size - side - 2; // keep a pixel clear of each border
    const local = t - index * this.segmentSeconds;
    const x = 1 + (free * (1 + Math.sin(seg.fx * local + seg.px))) / 2;
    const y = 1 + (free * (1 + Math.sin(seg.fy * local + seg.py))) / 2;
    const shape = SHAPES[seg.label];
    traceShape(ctx, shape, x, y, side);
    ctx.fillStyle = css(seg.colour);
    ctx.fill('nonzero'); // the cross's two bars overlap: their union

    // Pixel noise, as the generator adds (σ ≈ 0.025).
    const pixels = ctx.getImageData(0, 0, size, size);
    const data = pixels.data;
    const random = this.noiseState;
    for (let i = 0; i < data.length; i += 4) {
      // A sum of three uniforms: roughly Gaussian, σ ≈ 6/255, independent per channel.
      for (let c = 0; c < 3; c++) data[i + c] += (random() + random() + random() - 1.5) * 12;
    }
    ctx.putImageData(pixels, 0, 0);

    return {
      label: seg.label,
      box: { top: Math.floor(y), left: Math.floor(x), bottom: Math.ceil(y + side), right: Math.ceil(x + side) },
    };
  }
}
