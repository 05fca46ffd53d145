export interface Speech { year: number; name: string; tokens: string[] }
export function loadSpeeches(): Speech[];
export function buildVocab(speeches: Speech[], size: number): { words: string[]; index: Map<string, number>; counts: number[] };
export function cooccurrenceVectors(opts?: { words?: number; contexts?: number; window?: number }): { words: string[]; dim: number; vectors: Float32Array };
export interface NextWordSplit { x: Int32Array; y: Int32Array; n: number }
export function nextWordData(opts?: { vocabSize?: number; context?: number; splitYear?: number; maxTrain?: number; maxTest?: number }): {
  words: string[]; vocabSize: number; context: number; train: NextWordSplit; test: NextWordSplit;
};
