import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { ADAPTERS, KernelSpec, registerKernelSpec, runKernel } from '../src/internal';

// The GPU adapters (webgl, webgpu) in Node: a backend registered under the name 'webgl' that stores
// tensors like the cpu backend. The adapter only uses what every tfjs backend has (the engine's
// readSync, makeTensorInfo), so this exercises its whole path: one read per input and call, weights
// in cachedInputs read once per tensor, outputs handed to the backend as typed arrays.

interface Attrs {
  scale: number;
}

/** out[i] = x[i] · scale · Σ w (float32), and its integer floor: one float and one int32 output. */
const scaledSum: KernelSpec<Attrs> = {
  kernelName: 'HashlayersTestScaledSum',
  inputNames: ['x', 'w'],
  cachedInputs: ['w'],
  outputs: (shapes) => [
    { shape: shapes.x, dtype: 'float32' },
    { shape: shapes.x, dtype: 'int32' },
  ],
  compute(inputs, [out, floor], _shapes, { scale }) {
    let s = 0;
    for (const v of inputs.w) s += v;
    for (let i = 0; i < inputs.x.length; i++) {
      out[i] = Math.fround(inputs.x[i] * scale * s);
      floor[i] = Math.floor(out[i]);
    }
  },
};

class CountingBackend extends MathBackendCPU {
  reads = 0;
  override readSync(dataId: object) {
    this.reads++;
    return super.readSync(dataId);
  }
}

describe('the readback adapter of GPU backends (webgl, webgpu)', () => {
  let fake: CountingBackend;
  beforeAll(async () => {
    tf.registerBackend('webgl', () => (fake = new CountingBackend()), -1);
    tf.registerBackend('hashlayers-unknown', () => new MathBackendCPU(), -1);
    registerKernelSpec(scaledSum);
    await tf.setBackend('webgl');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
    tf.removeBackend('webgl');
    tf.removeBackend('hashlayers-unknown');
  });

  it('is registered for webgl and webgpu beside cpu, wasm and tensorflow', () => {
    expect(ADAPTERS.map((a) => a.backendName)).toEqual(['cpu', 'wasm', 'tensorflow', 'webgl', 'webgpu']);
    expect(tf.getKernel(scaledSum.kernelName, 'webgpu')).toBeDefined();
  });

  it('reads each input once per call and cached weights once per tensor', () => {
    const x = tf.tensor1d([0.5, -1.25, 3]);
    const w = tf.tensor1d([1, 2, 0.5]);
    const before = tf.memory().numTensors;
    fake.reads = 0;
    const [a, fa] = runKernel(scaledSum, { x, w }, { scale: 2 });
    expect(fake.reads).toBe(2);
    const [b, fb] = runKernel(scaledSum, { x, w }, { scale: 2 });
    expect(fake.reads).toBe(3); // w came from the cache
    // independent reference: 3.5 · 2 · x
    expect(Array.from(a.dataSync())).toEqual([3.5, -8.75, 21]);
    expect(fa.dtype).toBe('int32');
    expect(Array.from(fa.dataSync())).toEqual([3, -9, 21]);
    expect(Array.from(b.dataSync())).toEqual([3.5, -8.75, 21]);
    // a new weight tensor (new data) is read again
    const w2 = tf.tensor1d([1, 1, 1]);
    const reads = fake.reads;
    const [c, fc] = runKernel(scaledSum, { x, w: w2 }, { scale: 1 });
    expect(fake.reads - reads).toBe(2);
    expect(Array.from(c.dataSync())).toEqual([1.5, -3.75, 9]);
    tf.dispose([a, fa, b, fb, c, fc, w2]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });

  it('gives the same results as the cpu backend', async () => {
    const xv = Float32Array.from({ length: 50 }, (_, i) => Math.sin(i) * 10);
    const run = () => {
      const x = tf.tensor1d(xv);
      const w = tf.tensor1d([0.25, -0.125, 3]);
      const outs = runKernel(scaledSum, { x, w }, { scale: 0.75 });
      const vals = outs.map((t) => Array.from(t.dataSync()));
      tf.dispose([x, w, ...outs]);
      return vals;
    };
    const gpu = run();
    await tf.setBackend('cpu');
    const cpu = run();
    await tf.setBackend('webgl');
    expect(gpu).toEqual(cpu);
  });

  it('a backend hashlayers has no adapter for gets an error naming it', async () => {
    await tf.setBackend('hashlayers-unknown');
    try {
      const x = tf.tensor1d([1]);
      expect(() => runKernel(scaledSum, { x, w: x }, { scale: 1 })).toThrow(
        /backend: expected one of 'cpu', 'wasm', 'tensorflow', 'webgl', 'webgpu' for kernel 'HashlayersTestScaledSum', got 'hashlayers-unknown'/,
      );
      x.dispose();
    } finally {
      await tf.setBackend('webgl');
    }
  });
});
