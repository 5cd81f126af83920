import { GradCamError } from '../../src';
import { relativePathProblem, resolveWeightUrl } from '../../src/load/url-policy';

const MODEL = 'https://models.example.com/zoo/net/model.json';

function refusal(weightPath: string, modelUrl = MODEL): GradCamError {
  try {
    resolveWeightUrl(modelUrl, weightPath);
  } catch (err) {
    expect(err).toBeInstanceOf(GradCamError);
    expect((err as GradCamError).code).toBe('BAD_INPUT');
    return err as GradCamError;
  }
  throw new Error(`${weightPath} was accepted`);
}

describe('resolveWeightUrl', () => {
  it('resolves plain shard names and sub-folders beside model.json', () => {
    expect(resolveWeightUrl(MODEL, 'group1-shard1of2.bin')).toBe('https://models.example.com/zoo/net/group1-shard1of2.bin');
    expect(resolveWeightUrl(MODEL, 'shards/a.bin')).toBe('https://models.example.com/zoo/net/shards/a.bin');
    expect(resolveWeightUrl(MODEL, './a.bin')).toBe('https://models.example.com/zoo/net/a.bin');
    expect(resolveWeightUrl(MODEL, 'https://models.example.com/zoo/net/a.bin')).toBe('https://models.example.com/zoo/net/a.bin');
    expect(resolveWeightUrl('http://localhost:8080/m/model.json', 'w.bin')).toBe('http://localhost:8080/m/w.bin');
  });

  it.each([
    ['https://evil.example.net/w.bin', /another server/],
    ['//evil.example.net/w.bin', /another server/],
    ['http://models.example.com/zoo/net/w.bin', /another server/], // scheme change
    ['https://models.example.com:8443/zoo/net/w.bin', /another server/], // port change
    ['https://user@models.example.com/zoo/net/w.bin', /another server/],
    ['file:///etc/passwd', /another server/],
    ['data:application/octet-stream;base64,AAAA', /another server/],
    ['/zoo/other/w.bin', /is absolute/],
    ['../other/w.bin', /climbs out/],
    ['shards/../../other/w.bin', /climbs out/],
    ['%2e%2e/other/w.bin', /climbs out/],
    ['..%2fother%2fw.bin', /climbs out/],
    ['..\\other\\w.bin', /backslash/],
    ['%00.bin', /NUL/],
    ['%zz.bin', /percent-encoding/],
    ['', /not a file name/],
  ])('refuses %s', (weightPath, why) => {
    const err = refusal(weightPath);
    expect(err.message).toMatch(why);
    expect(err.message).toContain(JSON.stringify(weightPath));
    expect(err.message).toContain('allowExternalWeights');
  });

  it('allows other servers and folders with allowExternalWeights', () => {
    expect(resolveWeightUrl(MODEL, 'https://cdn.example.org/w.bin', { allowExternalWeights: true })).toBe('https://cdn.example.org/w.bin');
    expect(resolveWeightUrl(MODEL, '../common/w.bin', { allowExternalWeights: true })).toBe('https://models.example.com/zoo/common/w.bin');
  });

  it('refuses a model URL that is not absolute', () => {
    expect(() => resolveWeightUrl('model.json', 'w.bin')).toThrow(/model\.json is not an absolute URL/);
  });
});

describe('relativePathProblem', () => {
  it('accepts relative names and refuses absolute paths of either platform', () => {
    expect(relativePathProblem('a.bin')).toBeUndefined();
    expect(relativePathProblem('sub/a..b.bin')).toBeUndefined();
    expect(relativePathProblem('/etc/passwd')).toBe('is absolute');
    expect(relativePathProblem('C:/Windows/x')).toBe('is absolute');
    expect(relativePathProblem('\\\\server\\share')).toBe('holds a backslash');
    expect(relativePathProblem('a/../../b')).toMatch(/climbs out/);
    // Without percent-decoding (files), %2e%2e is an ordinary name.
    expect(relativePathProblem('%2e%2e/a')).toBeUndefined();
    expect(relativePathProblem('%2e%2e/a', true)).toMatch(/climbs out/);
  });
});
