import * as fs from 'node:fs';
import * as path from 'node:path';

/** Every name the package exports is documented in docs/api.md and mentioned in the README's API list. */
const root = path.resolve(__dirname, '..');

function exportedNames(entry = 'src/index.ts'): string[] {
  const index = fs.readFileSync(path.join(root, entry), 'utf8');
  const names = new Set<string>();
  for (const m of index.matchAll(/export (?:type )?\{([^}]+)\}/g)) {
    for (const part of m[1].split(',')) names.add(part.trim().split(/\s+as\s+/).pop() as string);
  }
  for (const m of index.matchAll(/export (?:const|function|class) (\w+)/g)) names.add(m[1]);
  names.delete('');
  return [...names].sort();
}

describe('documentation', () => {
  const names = exportedNames();

  it('finds the exports (sanity check of the parser above)', () => {
    expect(names).toEqual(expect.arrayContaining(['GradCam', 'gradientsForClass', 'blend', 'GradCamError', 'version']));
  });

  it.each(names)('docs/api.md documents %s', (name) => {
    const api = fs.readFileSync(path.join(root, 'docs/api.md'), 'utf8');
    expect(api).toMatch(new RegExp(`\\b${name}\\b`));
  });

  const ENTRIES = ['src/demo/index.ts', 'src/node/index.ts', 'src/browser/index.ts', 'src/metrics/index.ts'];
  const allDocs = (): string =>
    fs
      .readdirSync(path.join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => fs.readFileSync(path.join(root, 'docs', f), 'utf8'))
      .join('\n');
  it.each(ENTRIES.flatMap((entry) => exportedNames(entry).map((name) => [entry, name])))('%s: %s is documented in docs/', (_entry, name) => {
    expect(allDocs()).toMatch(new RegExp(`\\b${name}\\b`));
  });

  it('README gives the test command', () => {
    expect(fs.readFileSync(path.join(root, 'README.md'), 'utf8')).toContain('npm ci && npm test');
  });
});
