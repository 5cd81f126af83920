import { iou, localizationBox, pointingHit } from '../../src/demo';

/** An n×n map from a list of [row, col, value] entries; everything else 0. */
function map(n: number, entries: ReadonlyArray<readonly [number, number, number]>): Float32Array {
  const m = new Float32Array(n * n);
  for (const [r, c, v] of entries) m[r * n + c] = v;
  return m;
}

describe('pointingHit', () => {
  const peak = map(16, [
    [10, 4, 1],
    [3, 3, 0.9],
  ]);

  it('is a hit when the maximum lies inside the box (bottom and right exclusive)', () => {
    expect(pointingHit(peak, 16, { top: 10, left: 4, bottom: 11, right: 5 })).toBe(true);
    expect(pointingHit(peak, 16, { top: 8, left: 0, bottom: 12, right: 8 })).toBe(true);
    // The second-highest value (3,3) does not count.
    expect(pointingHit(peak, 16, { top: 0, left: 0, bottom: 8, right: 8 })).toBe(false);
    expect(pointingHit(peak, 16, { top: 0, left: 0, bottom: 10, right: 16 })).toBe(false); // row 10 excluded
    expect(pointingHit(peak, 16, { top: 0, left: 0, bottom: 16, right: 4 })).toBe(false); // column 4 excluded
  });

  it('reads the map row-major: (row, col) is not (col, row)', () => {
    expect(pointingHit(peak, 16, { top: 4, left: 10, bottom: 5, right: 11 })).toBe(false);
  });

  it('takes the first maximum in row-major order when several tie', () => {
    const tie = map(8, [
      [6, 1, 1],
      [2, 5, 1],
    ]);
    expect(pointingHit(tie, 8, { top: 2, left: 5, bottom: 3, right: 6 })).toBe(true);
    expect(pointingHit(tie, 8, { top: 6, left: 1, bottom: 7, right: 2 })).toBe(false);
  });

  it('rejects a map of the wrong length', () => {
    expect(() => pointingHit(new Float32Array(15), 4, { top: 0, left: 0, bottom: 1, right: 1 })).toThrow(RangeError);
  });
});

describe('localizationBox', () => {
  // 10×10: component A, three cells at the maximum 1.0 in row 1 (cols 1–3); component B, a
  // 2×3 block of 0.5 at rows 5–6, cols 4–6 (6 cells), with a 0.2 tail at (7,6) (7 cells in all);
  // a lone 0.1 at (9,9), below 15 % of the maximum.
  const twoBlobs = map(10, [
    [1, 1, 1],
    [1, 2, 1],
    [1, 3, 1],
    [5, 4, 0.5],
    [5, 5, 0.5],
    [5, 6, 0.5],
    [6, 4, 0.5],
    [6, 5, 0.5],
    [6, 6, 0.5],
    [7, 6, 0.2],
    [9, 9, 0.1],
  ]);

  it('boxes the largest component above 15 % of the maximum, not the one holding the maximum', () => {
    expect(localizationBox(twoBlobs, 10)).toEqual({ top: 5, left: 4, bottom: 8, right: 7 });
  });

  it('follows the threshold: at 30 % the tail drops out, at 60 % only the peak component is left', () => {
    expect(localizationBox(twoBlobs, 10, 0.3)).toEqual({ top: 5, left: 4, bottom: 7, right: 7 });
    expect(localizationBox(twoBlobs, 10, 0.6)).toEqual({ top: 1, left: 1, bottom: 2, right: 4 });
  });

  it('keeps values equal to the threshold', () => {
    const m = map(4, [
      [0, 0, 1],
      [3, 0, 0.5],
      [3, 1, 0.5],
    ]);
    expect(localizationBox(m, 4, 0.5)).toEqual({ top: 3, left: 0, bottom: 4, right: 2 });
  });

  it('joins 4-neighbours only: a diagonal chain is separate components', () => {
    const diagonal = map(6, [
      [0, 0, 1],
      [1, 1, 1],
      [2, 2, 1],
      [4, 0, 0.8],
      [4, 1, 0.8],
    ]);
    // The two-cell bar beats each single diagonal cell; the first single cell wins ties.
    expect(localizationBox(diagonal, 6)).toEqual({ top: 4, left: 0, bottom: 5, right: 2 });
    expect(localizationBox(diagonal, 6, 0.9)).toEqual({ top: 0, left: 0, bottom: 1, right: 1 });
  });

  it('boxes a whole-image map as the image', () => {
    expect(localizationBox(new Float32Array(25).fill(0.7), 5)).toEqual({ top: 0, left: 0, bottom: 5, right: 5 });
  });

  it('returns null for a map without a positive maximum', () => {
    expect(localizationBox(new Float32Array(16), 4)).toBeNull();
    expect(localizationBox(new Float32Array(16).fill(-1), 4)).toBeNull();
  });

  it('rejects a map of the wrong length', () => {
    expect(() => localizationBox(new Float32Array(10), 3)).toThrow(RangeError);
  });
});

describe('iou', () => {
  it('matches areas worked out by hand', () => {
    // 10×10 boxes overlapping in a 5×5 square: 25 / (100 + 100 − 25).
    expect(iou({ top: 0, left: 0, bottom: 10, right: 10 }, { top: 5, left: 5, bottom: 15, right: 15 })).toBeCloseTo(25 / 175, 12);
    // A 2×2 box inside a 10×10 one: 4 / 100.
    expect(iou({ top: 0, left: 0, bottom: 10, right: 10 }, { top: 2, left: 2, bottom: 4, right: 4 })).toBeCloseTo(0.04, 12);
    // 4×2 and 2×4 crossing in a 2×2 square: 4 / (8 + 8 − 4).
    expect(iou({ top: 0, left: 1, bottom: 4, right: 3 }, { top: 1, left: 0, bottom: 3, right: 4 })).toBeCloseTo(4 / 12, 12);
  });

  it('is 1 for equal boxes, symmetric, and 0 for boxes that only touch or are empty', () => {
    const a = { top: 3, left: 4, bottom: 9, right: 7 };
    const b = { top: 5, left: 2, bottom: 12, right: 6 };
    expect(iou(a, a)).toBe(1);
    expect(iou(a, b)).toBe(iou(b, a));
    expect(iou(a, { top: 9, left: 4, bottom: 12, right: 7 })).toBe(0); // shares the edge row 9, exclusive
    expect(iou({ top: 1, left: 1, bottom: 1, right: 1 }, { top: 1, left: 1, bottom: 1, right: 1 })).toBe(0);
  });
});
