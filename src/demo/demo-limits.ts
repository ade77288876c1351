/**
 * How many deployments a demo makes, and its default seed. Apart from the generator so the
 * operations registry (which the browser-safe control client bundles) names them without
 * pulling faker in.
 */

/** The fewest and most deployments a demo makes (the fewest still hold every kind), and the default. @since 0.5.0 */
export const DEMO_LIMITS = { min: 5, max: 1000, default: 25 } as const;
/** The seed when none is given. @since 0.5.0 */
export const DEFAULT_DEMO_SEED = 1;
/** A demo's history: the day before the clock's start (serve --demo) or before the seed's end (control seed). */
export const DAY_MS = 24 * 60 * 60 * 1000;
/** The largest seed: seeds are 32-bit, as faker's generator takes them. */
export const MAX_DEMO_SEED = 2 ** 32 - 1;
