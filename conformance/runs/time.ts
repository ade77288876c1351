/**
 * Units of time the RUN checks count in, and instants as ISO text.
 */

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

export const iso = (ms: number): string => new Date(ms).toISOString();
