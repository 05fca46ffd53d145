// model.save in Node to a directory as tfjs' standard files (model.json + weights.bin), which
// tf.loadLayersModel('http://…/model.json') reads in a page. Plain @tensorflow/tfjs has no file://
// handler (that is tfjs-node's), so this writes the same two files through tf.io.withSaveHandler.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export async function saveModelFiles(tf, model, dir) {
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      writeFileSync(join(dir, 'weights.bin'), Buffer.from(artifacts.weightData));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}
