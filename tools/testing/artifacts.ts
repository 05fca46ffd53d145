/**
 * Saved-model artifacts in memory, and seeded corruptions of them, for the
 * load fuzz tests of every layer package (issue 17): each corruption must
 * give a clear error on load, or a model identical to the original.
 */
import * as tf from '@tensorflow/tfjs';

export async function saveArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let out: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      out = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return out as unknown as tf.io.ModelArtifacts;
}

export function loadArtifacts(a: tf.io.ModelArtifacts): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tf.io.fromMemory(a));
}

/** model.save to memory, then tf.loadLayersModel: the save → load round trip every layer is tested with. */
export async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  return loadArtifacts(await saveArtifacts(model));
}

function copyArtifacts(a: tf.io.ModelArtifacts): tf.io.ModelArtifacts {
  return {
    ...a,
    modelTopology: JSON.parse(JSON.stringify(a.modelTopology)),
    weightSpecs: JSON.parse(JSON.stringify(a.weightSpecs)),
    weightData: (a.weightData as ArrayBuffer).slice(0),
  };
}

/** Byte offset of each weight in weightData (float32 and int32 only: 4 bytes an entry). */
function offsets(specs: tf.io.WeightsManifestEntry[]): number[] {
  const out: number[] = [];
  let at = 0;
  for (const s of specs) {
    out.push(at);
    at += 4 * s.shape.reduce((p, d) => p * d, 1);
  }
  return out;
}

/** Every LayerConfig in the topology whose class is `className`. */
function layerConfigs(a: tf.io.ModelArtifacts, className: string): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v != null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.class_name === className && o.config != null) found.push(o.config as Record<string, unknown>);
      Object.values(o).forEach(walk);
    }
  };
  walk(a.modelTopology);
  return found;
}

export interface Corruption {
  what: string;
  artifacts: tf.io.ModelArtifacts;
}

/**
 * A seeded corruption of the artifacts of a model holding a layer of class
 * `className`: truncated weights, a reshaped spec, an out-of-range integer,
 * NaN/±Infinity in a float weight, a changed numeric config value, or an
 * unknown config key.
 */
export function corrupt(a: tf.io.ModelArtifacts, className: string, seed: number): Corruption {
  let s = seed * 2654435761 + 1;
  const rand = (n: number): number => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s % n;
  };
  const b = copyArtifacts(a);
  const specs = b.weightSpecs as tf.io.WeightsManifestEntry[];
  const at = offsets(specs);
  const view = new DataView(b.weightData as ArrayBuffer);
  const kind = seed % 6;
  if (kind === 0) {
    const len = (b.weightData as ArrayBuffer).byteLength;
    const cut = 4 * (1 + rand(Math.max(1, len / 4 - 1)));
    b.weightData = (b.weightData as ArrayBuffer).slice(0, len - cut);
    return { what: `weight data truncated by ${cut} bytes`, artifacts: b };
  }
  if (kind === 1) {
    const i = rand(specs.length);
    const shape = specs[i].shape.slice();
    const j = rand(Math.max(1, shape.length));
    if (shape.length === 0) shape.push(2);
    else shape[j] = shape[j] + 1 + rand(3);
    specs[i] = { ...specs[i], shape };
    return { what: `spec of ${specs[i].name} reshaped to [${shape}]`, artifacts: b };
  }
  if (kind === 2) {
    const ints = specs.map((sp, i) => i).filter((i) => specs[i].dtype === 'int32' && specs[i].shape.reduce((p, d) => p * d, 1) > 0);
    if (ints.length > 0) {
      const i = ints[rand(ints.length)];
      const n = specs[i].shape.reduce((p, d) => p * d, 1);
      const k = rand(n);
      const v = [-1, -(1 + rand(1000)), 1 << 20, 2 ** 31 - 1, -(2 ** 31)][rand(5)];
      view.setInt32(at[i] + 4 * k, v, true);
      return { what: `${specs[i].name}[${k}] = ${v}`, artifacts: b };
    }
  }
  if (kind === 3 || kind === 2) {
    const floats = specs.map((sp, i) => i).filter((i) => specs[i].dtype === 'float32' && specs[i].shape.reduce((p, d) => p * d, 1) > 0);
    const i = floats[rand(floats.length)];
    const n = specs[i].shape.reduce((p, d) => p * d, 1);
    const k = rand(n);
    const v = [NaN, Infinity, -Infinity][rand(3)];
    view.setFloat32(at[i] + 4 * k, v, true);
    return { what: `${specs[i].name}[${k}] = ${v}`, artifacts: b };
  }
  const configs = layerConfigs(b, className);
  const cfg = configs[rand(configs.length)];
  if (kind === 4) {
    const keys = Object.keys(cfg).filter((k) => typeof cfg[k] === 'number');
    const key = keys[rand(keys.length)];
    const old = cfg[key] as number;
    cfg[key] = [old + 1, old - 1, old * 2, -1, 0.5, 1e9][rand(6)];
    return { what: `config ${key}: ${old} → ${cfg[key]}`, artifacts: b };
  }
  const key = ['unit', 'seeed', 'tabels', 'extra'][rand(4)];
  cfg[key] = 1;
  return { what: `unknown config key '${key}'`, artifacts: b };
}

/**
 * Loads `c` and requires either a clear Error (a message naming what is
 * wrong, not a TypeError from inside a library) or a model whose `probe`
 * output is identical to `expected`.
 */
export async function expectErrorOrIdentical(c: Corruption, expected: Float32Array | Int32Array, probe: (m: tf.LayersModel) => Float32Array | Int32Array): Promise<'error' | 'identical'> {
  let m: tf.LayersModel;
  try {
    m = await loadArtifacts(c.artifacts);
  } catch (e) {
    const msg = String((e as Error).message);
    if (e instanceof TypeError || /undefined|Invalid typed array/.test(msg)) throw new Error(`${c.what}: obscure error: ${msg}`);
    return 'error';
  }
  try {
    let got: Float32Array | Int32Array;
    try {
      got = probe(m);
    } catch (e) {
      // an error when the model is used (e.g. a guard on first use) is also clear, if it names something
      const msg = String((e as Error).message);
      if (e instanceof TypeError || /undefined/.test(msg)) throw new Error(`${c.what}: obscure error on use: ${msg}`);
      return 'error';
    }
    const same = got.length === expected.length && got.every((v, i) => Object.is(v, expected[i]));
    if (!same) throw new Error(`${c.what}: loaded without error but answers differently`);
    return 'identical';
  } finally {
    m.dispose();
  }
}
