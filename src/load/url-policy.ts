import { GradCamError } from '../errors';

/** Options of {@link resolveWeightUrl}. */
export interface WeightUrlPolicy {
  /**
   * Let a weight path point to another scheme, host or port than the `model.json`'s, or outside
   * its folder (e.g. weights on a CDN). Default false: a model.json from one server cannot make
   * the loader fetch from another.
   */
  allowExternalWeights?: boolean;
}

/**
 * Where a weight file of a `model.json` loaded from `modelUrl` lives, checked: a weight path
 * (from the manifest's `paths`) must be a relative path inside the model.json's folder — the
 * same scheme, host and port, no `..` segment (also percent-encoded), no backslash — unless
 * `allowExternalWeights` is set. Pure: it only parses strings.
 *
 * @param modelUrl The absolute URL of the `model.json` (e.g. `https://host/models/a/model.json`).
 * @param weightPath A path from the weights manifest (e.g. `group1-shard1of2.bin`).
 * @param policy See {@link WeightUrlPolicy}.
 * @returns The weight file's absolute URL.
 * @throws GradCamError `BAD_INPUT` naming the path and why it is refused.
 */
export function resolveWeightUrl(modelUrl: string, weightPath: string, policy: WeightUrlPolicy = {}): string {
  let base: URL;
  try {
    base = new URL(modelUrl);
  } catch {
    throw new GradCamError('BAD_INPUT', `Cannot load the model: ${modelUrl} is not an absolute URL.`);
  }
  const refuse = (why: string): GradCamError =>
    new GradCamError(
      'BAD_INPUT',
      `Cannot load the model ${modelUrl}: the weight path ${JSON.stringify(weightPath)} ${why}; ` +
        'weight files must sit in the model.json\'s folder (pass allowExternalWeights: true to allow other places).',
    );
  if (typeof weightPath !== 'string' || weightPath === '') throw refuse('is not a file name');
  let target: URL;
  try {
    target = new URL(weightPath, base);
  } catch {
    throw refuse('is not a valid URL');
  }
  if (policy.allowExternalWeights === true) return target.href;
  if (target.protocol !== base.protocol || target.host !== base.host || target.username !== base.username || target.password !== base.password) {
    throw refuse(`points to ${target.protocol}//${target.host}, another server than the model.json's`);
  }
  const why = relativePathProblem(weightPath, true);
  if (why !== undefined) throw refuse(why);
  const folder = base.pathname.slice(0, base.pathname.lastIndexOf('/') + 1);
  if (!target.pathname.startsWith(folder)) throw refuse('leaves the model.json\'s folder');
  return target.href;
}

/**
 * Why a manifest path is not a plain relative path inside the model's folder, or undefined when
 * it is one: absolute paths (`/x`, `C:\x`, `\\server\x`), scheme-relative URLs (`//host`), `..`
 * segments, backslashes and NUL bytes are refused. With `percentDecoded`, `%2e%2e` and `%2f`
 * count as what they decode to (a server may decode them). Shared by the URL and file loaders.
 * @internal
 */
export function relativePathProblem(weightPath: string, percentDecoded = false): string | undefined {
  let text = weightPath;
  if (percentDecoded) {
    try {
      text = decodeURIComponent(weightPath);
    } catch {
      return 'has a malformed percent-encoding';
    }
  }
  if (text.includes('\0')) return 'holds a NUL byte';
  if (text.includes('\\')) return 'holds a backslash';
  if (text.startsWith('/') || /^[A-Za-z]:/.test(text)) return 'is absolute';
  if (text.split('/').some((segment) => segment === '..')) return 'climbs out with ".."';
  return undefined;
}
