/**
 * ROAD's noisy linear imputation (Rong et al. 2022, as pytorch-grad-cam runs it): every removed
 * pixel becomes the weighted mean of its 8 neighbours (1/6 for the edge neighbours, 1/12 for
 * the diagonal ones; neighbours outside the image are left out of the mean), all removed pixels
 * at once — one sparse linear system, solved here by conjugate gradients — then Gaussian noise
 * is added to them.
 *
 * The system, for removed pixel i with in-image neighbours N(i):
 *   (Σ_{j∈N(i)} w_ij) x_i − Σ_{j∈N(i) removed} w_ij x_j = Σ_{j∈N(i) kept} w_ij v_j
 * is symmetric and positive definite as soon as one pixel is kept (every connected patch of
 * removed pixels then touches a kept one). With nothing kept it is singular; pytorch-grad-cam's
 * solver then returns zeros, and so does this one.
 */
import { type Random, gaussian } from '../demo/prng';

/** Row/column offsets of the 8 neighbours and their weights. */
const NEIGHBOURS: ReadonlyArray<readonly [number, number, number]> = [
  [-1, -1, 1 / 12],
  [-1, 0, 1 / 6],
  [-1, 1, 1 / 12],
  [0, -1, 1 / 6],
  [0, 1, 1 / 6],
  [1, -1, 1 / 12],
  [1, 0, 1 / 6],
  [1, 1, 1 / 12],
];

/** The relative residual at which the solver stops: far below float32's resolution. */
const TOLERANCE = 1e-9;
/** Over-relaxation of the SSOR preconditioner (tuned on 224×224 masks; 1.5–1.9 all work). */
const OMEGA = 1.7;

/** The system for the removed pixels, in compressed rows; unknowns are numbered in raster order. */
interface System {
  /** pixel index of each unknown */
  readonly pixel: Int32Array;
  readonly diagonal: Float64Array;
  /**
   * Row i's off-diagonal entries (the matrix holds −weight) are cols/weights[start[i] ..
   * start[i+1]), in increasing column order; those before split[i] are left of the diagonal.
   */
  readonly start: Int32Array;
  readonly split: Int32Array;
  readonly cols: Int32Array;
  readonly weights: Float64Array;
  /** The right-hand side of each channel, `[channels][unknowns]`. */
  readonly rhs: Float64Array[];
}

function buildSystem(image: Float32Array, removed: Uint8Array, height: number, width: number, channels: number): System {
  const unknownOf = new Int32Array(height * width).fill(-1);
  let count = 0;
  for (let p = 0; p < removed.length; p++) if (removed[p] !== 0) unknownOf[p] = count++;
  const pixel = new Int32Array(count);
  const diagonal = new Float64Array(count);
  const start = new Int32Array(count + 1);
  const split = new Int32Array(count);
  const cols = new Int32Array(count * 8);
  const weights = new Float64Array(count * 8);
  const rhs = Array.from({ length: channels }, () => new Float64Array(count));
  let entries = 0;
  for (let p = 0; p < removed.length; p++) {
    const i = unknownOf[p];
    if (i < 0) continue;
    pixel[i] = p;
    start[i] = entries;
    split[i] = entries;
    const row = Math.floor(p / width);
    const col = p - row * width;
    // Raster order of the neighbours keeps each row's columns sorted.
    for (const [dr, dc, w] of NEIGHBOURS) {
      const r = row + dr;
      const c = col + dc;
      if (r < 0 || c < 0 || r >= height || c >= width) continue;
      diagonal[i] += w;
      const q = r * width + c;
      const j = unknownOf[q];
      if (j >= 0) {
        if (j < i) split[i] = entries + 1;
        cols[entries] = j;
        weights[entries++] = w;
      } else {
        for (let k = 0; k < channels; k++) rhs[k][i] += w * image[q * channels + k];
      }
    }
  }
  start[count] = entries;
  return { pixel, diagonal, start, split, cols, weights, rhs };
}

/** y = A x. */
function multiply(s: System, x: Float64Array, y: Float64Array): void {
  const { diagonal, start, cols, weights } = s;
  for (let i = 0; i < diagonal.length; i++) {
    let v = diagonal[i] * x[i];
    for (let e = start[i]; e < start[i + 1]; e++) v -= weights[e] * x[cols[e]];
    y[i] = v;
  }
}

/** z = M⁻¹ r with M the SSOR preconditioner: a forward and a backward Gauss–Seidel sweep. */
function precondition(s: System, r: Float64Array, z: Float64Array): void {
  const { diagonal, start, split, cols, weights } = s;
  const n = diagonal.length;
  for (let i = 0; i < n; i++) {
    let v = r[i];
    for (let e = start[i]; e < split[i]; e++) v += weights[e] * z[cols[e]];
    z[i] = (v * OMEGA) / diagonal[i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let v = z[i] * (diagonal[i] / OMEGA);
    for (let e = split[i]; e < start[i + 1]; e++) v += weights[e] * z[cols[e]];
    z[i] = (v * OMEGA) / diagonal[i];
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

/** Solves A x = b by conjugate gradients with the SSOR preconditioner. */
function solve(s: System, b: Float64Array): Float64Array {
  const n = b.length;
  const x = new Float64Array(n);
  const limit = dot(b, b) * TOLERANCE * TOLERANCE;
  if (limit === 0) return x;
  const r = Float64Array.from(b);
  const z = new Float64Array(n);
  const q = new Float64Array(n);
  precondition(s, r, z);
  const p = Float64Array.from(z);
  let rz = dot(r, z);
  for (let iteration = 0; iteration < n + 100; iteration++) {
    multiply(s, p, q);
    const alpha = rz / dot(p, q);
    let rr = 0;
    for (let i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      r[i] -= alpha * q[i];
      rr += r[i] * r[i];
    }
    if (rr <= limit) break;
    precondition(s, r, z);
    const rzNext = dot(r, z);
    const beta = rzNext / rz;
    for (let i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
    rz = rzNext;
  }
  return x;
}

/**
 * Replaces the removed pixels of one image by the linear imputation plus Gaussian noise.
 *
 * @param image `[h*w*channels]` float32, row-major HWC.
 * @param removed `[h*w]`: nonzero where the pixel is to be imputed.
 * @param noise the noise's standard deviation (0: none); `random` draws it.
 * @returns a new `[h*w*channels]` image.
 */
export function imputeImage(
  image: Float32Array,
  removed: Uint8Array,
  height: number,
  width: number,
  channels: number,
  noise: number,
  random: Random,
): Float32Array {
  const out = Float32Array.from(image);
  const system = buildSystem(image, removed, height, width, channels);
  const unknowns = system.pixel.length;
  if (unknowns === 0) return out;
  // Noise in pytorch-grad-cam's order: channel by channel, then pixel by pixel.
  for (let k = 0; k < channels; k++) {
    const solution = unknowns === removed.length ? new Float64Array(unknowns) : solve(system, system.rhs[k]);
    for (let i = 0; i < unknowns; i++) {
      const jitter = noise === 0 ? 0 : noise * gaussian(random);
      out[system.pixel[i] * channels + k] = solution[i] + jitter;
    }
  }
  return out;
}
