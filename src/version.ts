/** The kit's version, reported by `rrext_public_probe` (a test keeps it equal to package.json). */
export const VERSION = '0.4.0';
