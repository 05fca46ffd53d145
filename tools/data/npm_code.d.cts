export interface CodeFile { path: string; package: string; group: string; test: boolean; start: number; end: number }
export function loadCorpus(opts?: { testModulo?: number }): {
  tokens: string[]; ids: Int32Array; files: CodeFile[];
  stats: { packages: number; skippedPackages: string[]; files: number; duplicateFiles: number; minifiedFiles: number; bytes: number };
};
export interface NextTokenSplit { x: Int32Array; y: Int32Array; n: number }
export function nextTokenData(opts?: { vocabSize?: number; context?: number; maxTrain?: number; maxTest?: number; seed?: number; testModulo?: number }): {
  words: string[]; vocabSize: number; context: number; train: NextTokenSplit; test: NextTokenSplit; stats: Record<string, unknown>;
};
