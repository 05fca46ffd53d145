export function mulberry32(seed: number): () => number;
export function gaussian(rand: () => number): number;
export function shuffledOrder(n: number, seed: number): number[];
export function shuffledRows(split: { x: ArrayLike<number>; y: ArrayLike<number>; n: number }, context: number, seed: number): { x: Int32Array; y: Int32Array; n: number };
