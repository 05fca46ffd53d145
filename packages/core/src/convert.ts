/**
 * What every hashlayers conversion returns — `convertToLSHSoftmax`,
 * `convertToLSS`, `convertToLUTDense`, `convertToRepresenterSketch` all have
 * the shape `(model, options) => Promise<ConversionResult<Layer, Report>>`.
 *
 * `model` is a new tf.LayersModel (the type parameter M, so that core needs no
 * tfjs-layers) in which the new layers replace the originals; the layers it
 * did not replace are shared with the input model (same weight variables).
 */
export interface ConversionResult<M, L, R> {
  model: M;
  /** The new layers, in the order the options named the replaced ones. */
  layers: L[];
  /** One report per new layer (what the conversion fitted, measured or sized). */
  reports: R[];
}
