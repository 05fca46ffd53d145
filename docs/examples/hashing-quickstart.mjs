// Runnable example for docs/hashing.md:  npm run build && node docs/examples/hashing-quickstart.mjs
// Outside the clone: `npm install @hashlayers/hashing @tensorflow/tfjs` and run `node hashing-quickstart.mjs`.
import * as tf from '@tensorflow/tfjs';
import { DWTAHash, HashIndex, LearnedHash, RaceSketch, SimHash, WTAHash, gatherDot, hashFamilyFromConfig } from '@hashlayers/hashing';

// 1. Hash families: int32 bucket ids [batch, tables], the same for the same seed everywhere.
const x = tf.randomNormal([3, 32], 0, 1, 'float32', 7);
const simhash = new SimHash({ inputDim: 32, tables: 4, bits: 8, seed: 1 });
const wta = new WTAHash({ inputDim: 32, tables: 4, window: 8, band: 3, seed: 1 });
const dwta = new DWTAHash({ inputDim: 32, tables: 4, window: 8, band: 3, seed: 1 });
const learned = new LearnedHash({ inputDim: 32, tables: 4, bits: 8, seed: 1 });
console.log('SimHash ', simhash.hash(x).arraySync());
console.log('WTAHash ', wta.hash(x).arraySync());
console.log('DWTAHash', dwta.hash(x).arraySync(), '(equals WTA on dense inputs)');
console.log('Learned ', learned.hash(x).arraySync(), '(starts equal to SimHash with the same seed)');
// WTA is rank-based: a strictly increasing transform leaves the codes unchanged
console.log('WTA(exp(x)) == WTA(x):', JSON.stringify(wta.hash(tf.exp(x)).arraySync()) === JSON.stringify(wta.hash(x).arraySync()));
// configs are plain JSON
const again = hashFamilyFromConfig(JSON.parse(JSON.stringify(simhash.getConfig())));
console.log('from config, same codes:', JSON.stringify(again.hash(x).arraySync()) === JSON.stringify(simhash.hash(x).arraySync()));

// 2. HashIndex: build / search / rebuild, as for the columns of an output layer's kernel.
const kernel = tf.randomNormal([32, 5000], 0, 1, 'float32', 3); // Dense kernel [inputDim, units]
const bias = tf.randomNormal([5000], 0, 0.1, 'float32', 4);
const classes = tf.transpose(kernel); // one row per class
const index = new HashIndex(new SimHash({ inputDim: 32 + 2, tables: 16, bits: 8, seed: 2 }), { foldBias: true, transform: 'mips' });
console.log('build:', index.build(classes, bias));
const res = index.retrieve(x, { maxCandidates: 100, minTableHits: 1 });
console.log('query 0: %d candidates, first ids %s, hits %s', res.offsets[1] - res.offsets[0], res.ids.slice(0, 5), res.hits.slice(0, 5));
// exact logits for the candidates only
const { candidates } = index.retrievePadded(x, { maxCandidates: 100 });
const logits = tf.add(gatherDot(x, classes, candidates), tf.where(tf.greaterEqual(candidates, 0), tf.gather(bias, tf.maximum(candidates, tf.scalar(0, 'int32'))), 0));
console.log('candidate logits', logits.shape);
// after training moved the weights: re-hash, rebuild only if enough codes changed
const moved = tf.add(classes, tf.randomNormal(classes.shape, 0, 0.3, 'float32', 5));
console.log('rebuild:', index.rebuild(moved, bias, { minChangedFraction: 0.05 }));
// keep the index in int32 weights and restore it
const restored = HashIndex.fromTensors(index.family, index.toTensors(), { foldBias: true, transform: 'mips' });
console.log('restored index gives the same candidates:', JSON.stringify(restored.retrieve(x).ids) === JSON.stringify(index.retrieve(x).ids));

// 3. RaceSketch: Σ α_i (1 − θ(x_i, q)/π)^K estimated from count arrays.
const sketch = new RaceSketch({ inputDim: 32, rows: 64, bits: 4, outputs: 2, seed: 9 });
sketch.insert(tf.randomNormal([1000, 32], 0, 1, 'float32', 6), tf.randomUniform([1000, 2], 0, 1, 'float32', 8));
console.log('RACE estimate', sketch.query(x).arraySync(), `(${sketch.bytes} bytes)`);
