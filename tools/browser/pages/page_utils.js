/* global navigator */
// Helpers shared by the browser pages (checks, bench): switching backends, and whether webgpu can run
// tfjs here.
import * as tf from '@tensorflow/tfjs';

/** Switches tfjs to `name` (throws when it cannot initialise) and runs fn. */
export async function on(name, fn) {
  if (!(await tf.setBackend(name))) throw new Error(`backend '${name}' failed to initialise`);
  await tf.ready();
  return fn();
}

/**
 * Why this page cannot run tfjs on webgpu, or null when it can: no adapter offered, or an adapter
 * whose synchronous readback (tfjs' readSync through an OffscreenCanvas, which every synchronous
 * tfjs call such as dataSync and every readback kernel needs) returns wrong values. Headless
 * Chromium with SwiftShader's WebGPU reads zeros there beyond a few dozen values and then loses
 * the device; tfjs' async reads work.
 */
export async function webgpuUnusable() {
  if (navigator.gpu == null) return 'navigator.gpu is undefined';
  const adapter = await navigator.gpu.requestAdapter();
  if (adapter == null) return 'navigator.gpu.requestAdapter() returned null';
  if (!(await tf.setBackend('webgpu'))) return "tf.setBackend('webgpu') failed";
  // 1024 values: more than one row of tfjs' 256-pixel staging canvas
  const t = tf.add(tf.range(0, 1024, 1, 'float32'), 1);
  const viaAsync = Array.from(await t.data());
  const u = tf.mul(t, 2);
  const viaSync = Array.from(u.dataSync());
  tf.dispose([t, u]);
  const want = viaAsync.map((v) => 2 * v);
  const bad = viaSync.findIndex((v, i) => v !== want[i]);
  if (bad >= 0) {
    const info = adapter.info ?? {};
    return `adapter offered (${info.vendor ?? '?'} ${info.architecture ?? ''}), but tfjs-backend-webgpu's synchronous readback is broken in this browser: dataSync() of 2·(1..1024) read ${viaSync[bad]} at index ${bad}, expected ${want[bad]} (async data() reads correctly); tfjs ops that read synchronously, and every hashlayers kernel on webgpu, need it`;
  }
  return null;
}

/**
 * Median ms of one fn() call (fn must end in a read back to the CPU, so GPU work is included): samples of
 * n calls each, n doubled until a sample lasts ≥ 20 ms (performance.now() ticks in 0.1 ms in a page that is
 * not cross-origin isolated, up to maxN); at least minSamples samples, up to maxSamples or ~budgetMs.
 * The first call is a warm-up (shader compiles, caches). Returns { ms, calls }.
 */
export function medianCallMs(fn, { minSamples = 3, maxSamples = 25, budgetMs = 4000, maxN = 1024 } = {}) {
  fn();
  let n = 1;
  for (let t = 0; n < maxN; n *= 2) {
    t = performance.now();
    for (let i = 0; i < n; i++) fn();
    if (performance.now() - t >= 20) break;
  }
  const times = [];
  const t0 = performance.now();
  while (times.length < maxSamples && (times.length < minSamples || performance.now() - t0 < budgetMs)) {
    const t = performance.now();
    for (let i = 0; i < n; i++) fn();
    times.push((performance.now() - t) / n);
  }
  times.sort((a, b) => a - b);
  return { ms: times[times.length >> 1], calls: times.length * n };
}
