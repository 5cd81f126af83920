import { GradCamError } from '../errors';

/** A class for every image (`3`), or one class per image (`[3, 0, 7]`). */
export type ClassIndex = number | readonly number[];

/**
 * Expands a {@link ClassIndex} to one integer per image and checks it, throwing
 * `BAD_CLASS_INDEX` with the offending value. `numClasses` is checked when known.
 */
export function classIndexPerImage(classIndex: ClassIndex, batch: number, numClasses?: number): number[] {
  if (typeof classIndex !== 'number' && !Array.isArray(classIndex)) {
    throw new GradCamError('BAD_CLASS_INDEX', `classIndex must be a class number or an array of them (one per image), got ${classIndex === null ? 'null' : typeof classIndex}.`);
  }
  const list = typeof classIndex === 'number' ? new Array<number>(batch).fill(classIndex) : [...classIndex];
  if (list.length !== batch) {
    throw new GradCamError(
      'BAD_CLASS_INDEX',
      `classIndex has ${list.length} entries but the batch has ${batch} images: ` +
        'pass one class per image, or a single number for all of them.',
    );
  }
  for (const [i, k] of list.entries()) {
    const where = typeof classIndex === 'number' ? '' : ` (entry ${i})`;
    if (!Number.isInteger(k) || k < 0) {
      throw new GradCamError('BAD_CLASS_INDEX', `classIndex${where} must be a non-negative integer, got ${k}.`);
    }
    if (numClasses !== undefined && k >= numClasses) {
      throw new GradCamError(
        'BAD_CLASS_INDEX',
        `classIndex${where} is ${k}, but the model scores ${numClasses} classes (0 to ${numClasses - 1}).`,
      );
    }
  }
  return list;
}
