import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

/** The examples the README points to keep working (each exits non-zero when its check fails). */
const root = path.resolve(__dirname, '..');
const tsx = path.join(root, 'node_modules/.bin/tsx');

describe('examples', () => {
  it('quickstart: the heatmap peak lands on the red square and nothing leaks', () => {
    const out = execFileSync(tsx, ['examples/quickstart.ts'], { cwd: root, encoding: 'utf8' });
    expect(out).toMatch(/peak on square: yes/);
    expect(out).toMatch(/tensors:\s+(\d+) before explain, \1 after disposing/);
  });

  it('compose-steps: the hand-composed pipeline equals GradCam.explain', () => {
    const out = execFileSync(tsx, ['examples/compose-steps.ts'], { cwd: root, encoding: 'utf8' });
    expect(out).toMatch(/max \|by hand − GradCam\.explain\|: heatmap 0, cam 0/);
    expect(out).toMatch(/class 1 "green blob": heatmap peak at row \d+, col \d+ \(green square\)/);
    expect(out).toMatch(/tensors: (\d+) before, \1 after/);
  });
});
