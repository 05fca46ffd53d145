export function nextWordModel(
  tf: typeof import('@tensorflow/tfjs'),
  L: typeof import('../../packages/lsh-softmax/src'),
  opts: { vocab: number; context: number; embDim?: number; hidden?: number; layer?: Record<string, unknown>; lr?: number; seed?: number },
): { train: import('@tensorflow/tfjs').LayersModel; infer: import('@tensorflow/tfjs').LayersModel; layer: import('../../packages/lsh-softmax/src').LSHSoftmax };
