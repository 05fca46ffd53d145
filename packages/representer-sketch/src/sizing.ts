import * as tfl from '@tensorflow/tfjs-layers';
import { fail } from '@hashlayers/core/internal';
import { isRepresenterSketch, RepresenterSketch } from './layers/representer_sketch.js';

export interface SketchCost {
  /** Bytes of the count arrays as saved: R·2^K·outputs float32, or packed 16/8/4-bit words plus their [scale, offset]. */
  countsBytes: number;
  /** Bytes of the other weights as saved: the center (d float32) and, with 'weighted' aggregation, the R row weights. */
  otherWeightBytes: number;
  /** countsBytes + otherWeightBytes: the sketch's share of the saved weights file (tested against a saved model). */
  weightBytes: number;
  /** Bytes of the layer's config as JSON (rows, bits, seed, …: the projection is regenerated from it, never stored). */
  configBytes: number;
  /** weightBytes + configBytes: every byte the saved sketch holds. */
  bytes: number;
  /** Non-zero projection entries visited per query: multiply-adds ('gaussian') or additions/subtractions (±1 projections). */
  hashOps: number;
  /** R·K threshold comparisons per query. */
  hashCompares: number;
  /** R·outputs additions of the looked-up cells (integer additions for packed counts with the mean). */
  lookupAdds: number;
  /** Multiplications per query: d·R·K for 'gaussian' (0 for ±1 projections), outputs for the final scale, R·outputs more for 'weighted'. */
  multiplies: number;
  /** hashOps + hashCompares + lookupAdds + outputs (the final multiply-add): every operation counted as one multiply-add. */
  multiplyAdds: number;
}

export interface HeadCost {
  /** Class names of the replaced layers. */
  layers: string[];
  parameters: number;
  /** 4 bytes per parameter (float32 weights). */
  weightBytes: number;
  /** Bytes of the replaced layers' configs as JSON. */
  configBytes: number;
  /** weightBytes + configBytes. */
  bytes: number;
  /** Dense: inputs·units (+ units for the bias); other layers: their parameter count (exact for Dense, a lower bound for convolutions). */
  multiplyAdds: number;
  /** False when a layer other than Dense/Activation/Dropout/Flatten/BatchNormalization was counted by parameters only. */
  exact: boolean;
}

export interface SizingReport {
  sketch: SketchCost;
  head: HeadCost;
  /** head bytes / sketch bytes (weights and configs on both sides). */
  storageReduction: number;
  /** head weight bytes / sketch count bytes. */
  storageReductionCountsOnly: number;
  /** head multiply-adds / sketch operations per query. */
  computeReduction: number;
}

const configBytes = (l: tfl.layers.Layer) => JSON.stringify({ className: l.getClassName(), config: l.getConfig() }).length;

/** Bytes and operations per query of a built sketch. */
export function sketchCost(layer: RepresenterSketch): SketchCost {
  if (!isRepresenterSketch(layer)) fail('layer', 'a RepresenterSketch', layer);
  const d = layer.inputDim;
  const { rows, bits, outputs, countBits } = layer;
  const n = rows * layer.cells * outputs;
  const countsBytes = countBits === 32 ? n * 4 : Math.ceil((n * countBits) / 32) * 4 + 8;
  const otherWeightBytes = (d + (layer.aggregation === 'weighted' ? rows : 0)) * 4;
  const weightBytes = countsBytes + otherWeightBytes;
  const cfg = configBytes(layer);
  const hashOps = layer.projectionNonzeros;
  const hashCompares = rows * bits;
  const lookupAdds = rows * outputs;
  const multiplies = (layer.projectionKind === 'gaussian' ? hashOps : 0) + outputs + (layer.aggregation === 'weighted' ? rows * outputs : 0);
  return {
    countsBytes, otherWeightBytes, weightBytes, configBytes: cfg, bytes: weightBytes + cfg,
    hashOps, hashCompares, lookupAdds, multiplies, multiplyAdds: hashOps + hashCompares + lookupAdds + outputs,
  };
}

const FREE = new Set(['Activation', 'Dropout', 'Flatten', 'Reshape', 'Softmax', 'ReLU', 'InputLayer']);

/** Parameters, bytes and multiply-adds per query of a chain of (built) layers. */
export function headCost(layers: tfl.layers.Layer[]): HeadCost {
  if (!Array.isArray(layers)) fail('layers', 'an array of layers', layers);
  let parameters = 0;
  let multiplyAdds = 0;
  let cfg = 0;
  let exact = true;
  for (const l of layers) {
    const p = l.countParams();
    parameters += p;
    cfg += configBytes(l);
    const name = l.getClassName();
    if (name === 'Dense') multiplyAdds += p;
    else if (name === 'BatchNormalization') multiplyAdds += p / 2;
    else if (!FREE.has(name)) {
      multiplyAdds += p;
      exact = false;
    }
  }
  return { layers: layers.map((l) => l.getClassName()), parameters, weightBytes: parameters * 4, configBytes: cfg, bytes: parameters * 4 + cfg, multiplyAdds, exact };
}

/** Bytes and multiply-adds of the sketch against the head it replaces. */
export function sizing(layer: RepresenterSketch, head: tfl.layers.Layer[] | HeadCost): SizingReport {
  const sketch = sketchCost(layer);
  const h = Array.isArray(head) ? headCost(head) : head;
  return {
    sketch,
    head: h,
    storageReduction: h.bytes / sketch.bytes,
    storageReductionCountsOnly: h.weightBytes / sketch.countsBytes,
    computeReduction: h.multiplyAdds / sketch.multiplyAdds,
  };
}
