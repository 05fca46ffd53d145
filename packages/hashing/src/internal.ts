/**
 * @hashlayers/hashing/internal — what the layer packages of hashlayers need
 * from the hashing package beyond its public surface.
 *
 * UNSTABLE: for @hashlayers/* packages only; not covered by semver.
 */
import './register.js';

export { srpKernel } from './sketch/race_sketch.js';
