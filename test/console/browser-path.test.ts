// Where the browser tests find Chromium (test/support/browser.ts): $CHROMIUM_PATH, else the
// Debian and Ubuntu packages' paths; none is a failure that says how to get one, never a skip.
import { CHROMIUM_CANDIDATES, CHROMIUM_NOT_FOUND, chromiumPath } from '../support/browser';

describe('chromiumPath', () => {
  it('takes $CHROMIUM_PATH first', () => {
    expect(chromiumPath({ CHROMIUM_PATH: '/opt/chrome/chrome' }, () => true)).toBe(
      '/opt/chrome/chrome',
    );
  });

  it('a $CHROMIUM_PATH that is not there is an error naming it', () => {
    expect(() => chromiumPath({ CHROMIUM_PATH: '/nowhere/chromium' }, () => false)).toThrow(
      `${CHROMIUM_NOT_FOUND} (CHROMIUM_PATH=/nowhere/chromium is not an executable file)`,
    );
  });

  it('else the Debian package, then Ubuntu', () => {
    expect(chromiumPath({}, () => true)).toBe('/usr/bin/chromium');
    expect(chromiumPath({}, (file) => file === '/usr/bin/chromium-browser')).toBe(
      '/usr/bin/chromium-browser',
    );
  });

  it('none: says how to install it, and where it looked', () => {
    expect(() => chromiumPath({ CHROMIUM_PATH: '' }, () => false)).toThrow(
      `Chromium not found: install the Debian package (apt-get install chromium) or set CHROMIUM_PATH — .ci/run installs it (looked at ${CHROMIUM_CANDIDATES.join(', ')})`,
    );
  });
});
