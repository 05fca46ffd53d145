// jest's node environment runs tests in a separate realm, so typed arrays made
// by native code (tfjs-node's readSync) fail tfjs-core's `instanceof
// Float32Array` checks (e.g. "Unsupported TypedArray subtype" in model.save).
// Sharing the outer realm's typed-array constructors fixes that.
const NodeEnvironment = require('jest-environment-node').TestEnvironment;

const SHARED = ['ArrayBuffer', 'Float32Array', 'Float64Array', 'Int8Array', 'Int16Array', 'Int32Array', 'Uint8Array', 'Uint8ClampedArray', 'Uint16Array', 'Uint32Array'];

class SharedTypedArraysEnvironment extends NodeEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = SharedTypedArraysEnvironment;
