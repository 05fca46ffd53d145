export function mulberry32(seed: number): () => number;
export function gaussian(rand: () => number): number;
