export const ALL_BACKENDS: readonly ['cpu', 'wasm', 'tensorflow'];
export const TFJS_NODE_HINT: string;
export function tfjsNodeAvailable(): boolean;
export function availableBackends(opts?: { hint?: boolean }): string[];
export function preferredBackend(backends?: string[]): string;
export function useBackend(name: string): Promise<string>;
