import { browserSuiteMode, findChromium } from './harness';

/** How the browser suites decide whether to run: the browser they look for, and what a missing one means. */
describe('finding Chromium for the browser suites', () => {
  const onDisk = (...paths: string[]) => (p: string) => paths.includes(p);

  it('uses CHROMIUM_PATH where it is set and exists', () => {
    expect(findChromium({ CHROMIUM_PATH: '/opt/chrome/chrome' }, onDisk('/opt/chrome/chrome', '/usr/bin/chromium'))).toBe('/opt/chrome/chrome');
  });

  it('does not fall back to /usr/bin/chromium when CHROMIUM_PATH names a missing file', () => {
    expect(findChromium({ CHROMIUM_PATH: '/nowhere/chrome' }, onDisk('/usr/bin/chromium'))).toBeUndefined();
  });

  it("falls back to Debian's /usr/bin/chromium, or finds nothing", () => {
    expect(findChromium({}, onDisk('/usr/bin/chromium'))).toBe('/usr/bin/chromium');
    expect(findChromium({ CHROMIUM_PATH: '' }, onDisk('/usr/bin/chromium'))).toBe('/usr/bin/chromium');
    expect(findChromium({}, onDisk())).toBeUndefined();
  });

  it('runs where a browser is found, skips without one, and fails without one under CI', () => {
    expect(browserSuiteMode({}, '/usr/bin/chromium')).toBe('run');
    expect(browserSuiteMode({ CI: 'true' }, '/usr/bin/chromium')).toBe('run');
    expect(browserSuiteMode({}, undefined)).toBe('skip');
    expect(browserSuiteMode({ CI: 'false' }, undefined)).toBe('skip');
    expect(browserSuiteMode({ CI: '0' }, undefined)).toBe('skip');
    expect(browserSuiteMode({ CI: 'true' }, undefined)).toBe('fail');
    expect(browserSuiteMode({ CI: '1' }, undefined)).toBe('fail');
  });
});
