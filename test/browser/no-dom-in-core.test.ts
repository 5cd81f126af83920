import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/**
 * Only src/browser may use the DOM. Its `/// <reference lib="dom" />` puts DOM types into the
 * whole build (tsup compiles every entry in one program), so this test compiles everything else
 * in src/ without them: a DOM name anywhere outside src/browser is a type error here.
 */
const root = path.resolve(__dirname, '../..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'browser' ? [] : sources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe('no DOM outside src/browser', () => {
  it('src/ without src/browser compiles with lib ES2020 only (no DOM types)', () => {
    const config = ts.readConfigFile(path.join(root, 'tsconfig.build.json'), ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
    expect(parsed.options.lib).toEqual(['lib.es2020.d.ts']);
    const files = sources(path.join(root, 'src'));
    expect(files.length).toBeGreaterThan(20);
    const program = ts.createProgram(files, { ...parsed.options, noEmit: true });
    // Nothing may pull src/browser (and its DOM reference) back in through an import.
    expect(program.getSourceFiles().map((f) => f.fileName).filter((f) => f.includes('/src/browser/'))).toEqual([]);
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  });

  it('src/browser is the one place that references the DOM lib', () => {
    const withDom = sources(path.join(root, 'src')).filter((f) => /\/\/\/\s*<reference\s+lib="dom"/.test(fs.readFileSync(f, 'utf8')));
    expect(withDom).toEqual([]);
    expect(fs.readFileSync(path.join(root, 'src/browser/index.ts'), 'utf8')).toMatch(/^\/\/\/ <reference lib="dom" \/>/);
  });
});
