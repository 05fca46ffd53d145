export interface PlantedSplit { x: Float32Array; y: Int32Array; n: number }
export function plantedWOL(opts?: { units?: number; dim?: number; train?: number; test?: number; a?: number; sigma?: number; tau?: number; spread?: number; seed?: number }): {
  units: number; dim: number; kernel: Float32Array; bias: Float32Array; train: PlantedSplit; test: PlantedSplit;
};
