/**
 * @hashlayers/representer-sketch: a trained network head rewritten as LSH
 * (RACE) count arrays. RepresenterSketch is the layer;
 * convertToRepresenterSketch converts a trained model; sizing, sketchCost
 * and headCost measure the sketch against the head it replaces.
 *
 * @packageDocumentation
 */
import './register.js';

export { RepresenterSketch, representerSketch } from './layers/representer_sketch.js';
export type { RepresenterSketchArgs, Aggregation, CellFill } from './layers/representer_sketch.js';
export type { ProjectionKind } from './projection.js';
export type { CountBits } from './quantize.js';
export { autoRows, convertToRepresenterSketch } from './convert.js';
export type { AutoRowsOptions, ConvertToRepresenterSketchOptions, RefineOptions, RepresenterSketchConversion, RepresenterSketchReport } from './convert.js';
export { sizing, sketchCost, headCost } from './sizing.js';
export type { SizingReport, SketchCost, HeadCost } from './sizing.js';
