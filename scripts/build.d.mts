// Types of scripts/build.mjs, which stays plain JavaScript so that it runs before anything is built.
export const ROOT: string;
export const DIST: string;
export const META: string;
export function isStale(): boolean;
export function ensureBuilt(): Promise<void>;
export function build(options?: { types?: boolean }): Promise<string[]>;
export function ensureTypes(): Promise<void>;
