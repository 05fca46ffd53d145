import * as tfl from '@tensorflow/tfjs-layers';
import { fail } from '@hashlayers/core/internal';
import { isRepresenterSketch, RepresenterSketch } from './layers/representer_sketch.js';

export interface SketchCost {
  /** Bytes of the count arrays (float32). */
  countsBytes: number;
  /** Bytes of the SRP projection and center as stored in the model (float32; a seed regenerates them). */
  hashBytes: number;
  bytes: number;
  /** d·R·K multiply-adds of the projection (dense matMul, as implemented) plus d subtractions of the center. */
  hashMultiplyAdds: number;
  /** R·outputs (weighted) additions of the looked-up cells. */
  lookupAdds: number;
  /** hashMultiplyAdds + lookupAdds per query. */
  multiplyAdds: number;
}

export interface HeadCost {
  /** Class names of the replaced layers. */
  layers: string[];
  parameters: number;
  /** 4 bytes per parameter. */
  bytes: number;
  /** Dense: inputs·units (+ units for the bias); other layers: their parameter count (exact for Dense, a lower bound for convolutions). */
  multiplyAdds: number;
  /** False when a layer other than Dense/Activation/Dropout/Flatten/BatchNormalization was counted by parameters only. */
  exact: boolean;
}

export interface SizingReport {
  sketch: SketchCost;
  head: HeadCost;
  /** head bytes / sketch bytes (counts + stored projection). */
  storageReduction: number;
  /** head bytes / counts bytes (the projection regenerated from the seed). */
  storageReductionCountsOnly: number;
  /** head multiply-adds / sketch multiply-adds per query. */
  computeReduction: number;
}

/** Per-query cost of a built sketch. */
export function sketchCost(layer: RepresenterSketch): SketchCost {
  if (!isRepresenterSketch(layer)) fail('layer', 'a RepresenterSketch', layer);
  const d = layer.inputDim;
  const countsBytes = layer.rows * layer.cells * layer.outputs * 4;
  const hashBytes = (d * layer.rows * layer.bits + d + (layer.aggregation === 'weighted' ? layer.rows : 0)) * 4;
  const hashMultiplyAdds = d * layer.rows * layer.bits + d;
  const lookupAdds = layer.rows * layer.outputs;
  return { countsBytes, hashBytes, bytes: countsBytes + hashBytes, hashMultiplyAdds, lookupAdds, multiplyAdds: hashMultiplyAdds + lookupAdds };
}

const FREE = new Set(['Activation', 'Dropout', 'Flatten', 'Reshape', 'Softmax', 'ReLU', 'InputLayer']);

/** Parameters, bytes and multiply-adds per query of a chain of (built) layers. */
export function headCost(layers: tfl.layers.Layer[]): HeadCost {
  if (!Array.isArray(layers)) fail('layers', 'an array of layers', layers);
  let parameters = 0;
  let multiplyAdds = 0;
  let exact = true;
  for (const l of layers) {
    const p = l.countParams();
    parameters += p;
    const name = l.getClassName();
    if (name === 'Dense') multiplyAdds += p;
    else if (name === 'BatchNormalization') multiplyAdds += p / 2;
    else if (!FREE.has(name)) {
      multiplyAdds += p;
      exact = false;
    }
  }
  return { layers: layers.map((l) => l.getClassName()), parameters, bytes: parameters * 4, multiplyAdds, exact };
}

/** Bytes and multiply-adds of the sketch against the head it replaces. */
export function sizing(layer: RepresenterSketch, head: tfl.layers.Layer[] | HeadCost): SizingReport {
  const sketch = sketchCost(layer);
  const h = Array.isArray(head) ? headCost(head) : head;
  return {
    sketch,
    head: h,
    storageReduction: h.bytes / sketch.bytes,
    storageReductionCountsOnly: h.bytes / sketch.countsBytes,
    computeReduction: h.multiplyAdds / sketch.multiplyAdds,
  };
}
