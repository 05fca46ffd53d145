export interface MnistSplit { x: Float32Array; y: Int32Array; n: number }
export function loadMnist(opts?: { trainPerClass?: number; testPerClass?: number; seed?: number }): {
  dim: number; classes: number; train: MnistSplit; test: MnistSplit;
};
