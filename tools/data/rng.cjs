// Seeded generators for the dataset builders (deterministic across runs and machines).

/** mulberry32: a 32-bit seeded generator of uniform numbers in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller) from a uniform generator. */
function gaussian(rand) {
  const u = 1 - rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** A seeded permutation of 0..n-1 (Fisher–Yates with mulberry32). */
function shuffledOrder(n, seed) {
  const rand = mulberry32(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** Rows of a next-word dataset split ({x, y, n}, x flat with `context` ids per row) in a seeded order. */
function shuffledRows(split, context, seed) {
  const order = shuffledOrder(split.n, seed);
  return {
    x: Int32Array.from({ length: split.n * context }, (_, p) => split.x[order[Math.floor(p / context)] * context + (p % context)]),
    y: Int32Array.from(order, (i) => split.y[i]),
    n: split.n,
  };
}

module.exports = { mulberry32, gaussian, shuffledOrder, shuffledRows };
