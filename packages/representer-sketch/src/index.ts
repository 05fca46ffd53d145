/** @hashlayers/representer-sketch: a trained network head rewritten as LSH (RACE) count arrays. */
import './register.js';
import { sketchFromModel } from './from_model.js';
import { RepresenterSketch } from './layers/representer_sketch.js';

export { RepresenterSketch, representerSketch } from './layers/representer_sketch.js';
export type { RepresenterSketchArgs, Aggregation, CellFill } from './layers/representer_sketch.js';
export { sketchFromModel } from './from_model.js';
export type { FromModelOptions, FromModelResult, RefineOptions } from './from_model.js';
export { sizing, sketchCost, headCost } from './sizing.js';
export type { SizingReport, SketchCost, HeadCost } from './sizing.js';
export { sketchLookup } from './ops/sketch_lookup.js';
export { sketchCodes } from './ops/sketch_codes.js';
export { registerRepresenterSketchKernels } from './register.js';

RepresenterSketch.fromModel = sketchFromModel;
