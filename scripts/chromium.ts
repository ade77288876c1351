/**
 * Headless Chromium for the dashboard's browser tests, its screenshot and its bench figures:
 * Debian's `chromium` (/usr/bin/chromium, or CHROMIUM_PATH) driven by playwright-core, with the
 * flags that keep it from calling home (on a closed network its connections are refused), and a
 * fresh profile each launch (playwright makes a temporary one; it refuses --user-data-dir). A missing browser is an error saying how to install it.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface LaunchedChromium {
  readonly browser: Browser;
  /** Closes the browser (playwright removes its profile). */
  close(): Promise<void>;
}

export async function launchChromium(extraArgs: readonly string[] = []): Promise<LaunchedChromium> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}: the dashboard's browser tests need it. Install Debian's package ` +
        '(as root: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; ' +
        '.ci/run does this when it is missing), or set CHROMIUM_PATH to a Chromium or Chrome binary.',
    );
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => {});
    },
  };
}
