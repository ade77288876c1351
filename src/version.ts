/** The kit's identity, shared by every door (browser-safe: no imports). */

/** The kit's name, as the package, the CLI and its messages call it. */
export const NAME = 'rocketride-deploy-kit';

/** The kit's version, reported by `rrext_public_probe` (a test keeps it equal to package.json). */
export const VERSION = '0.4.0';

/** The port a server listens on and a client connects to by default (the real server's). */
export const DEFAULT_PORT = 5565;
