// The Node side of the browser checks: builds every layer's model (tools/browser/scenarios.mjs) on
// tfjs' cpu backend, saves it to <out>/models/<layer>/ and writes what Node answers for the query
// batch to <out>/models/reference.json. The page loads these over http on each backend and must
// answer the same (ids exactly, floats within tolerance).
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAYERS, answers } from './scenarios.mjs';
import { saveModelFiles } from './save_model.mjs';

const require = createRequire(import.meta.url);

export async function writeFixtures(outDir) {
  const tf = require('@tensorflow/tfjs');
  const pkgs = {
    L: require('@hashlayers/lsh-softmax'),
    S: require('@hashlayers/lss'),
    D: require('@hashlayers/lut-dense'),
    R: require('@hashlayers/representer-sketch'),
  };
  const previous = tf.getBackend();
  await tf.setBackend('cpu');
  const reference = {};
  for (const [name, spec] of Object.entries(LAYERS)) {
    const model = await spec.build(tf, pkgs);
    await saveModelFiles(tf, model, join(outDir, 'models', name));
    reference[name] = answers(tf, model, spec.topK, pkgs.L);
    model.dispose();
  }
  writeFileSync(join(outDir, 'models', 'reference.json'), JSON.stringify(reference));
  if (previous != null) await tf.setBackend(previous);
  return reference;
}
