import { LSSHashCallback, LSSHashTrainer } from '../src';

describe('trainer and callback options', () => {
  it('LSSHashTrainer and LSSHashCallback reject a misspelt or unknown option, naming it, before anything else', () => {
    expect(() => new LSSHashTrainer(null as never, { learningrate: 0.1 } as never)).toThrow(/LSSHashTrainer args: expected only the options learningRate, .*, got unknown option 'learningrate'/);
    expect(() => new LSSHashCallback({ layer: null, x: null, y: null, hashEpoch: 2 } as never)).toThrow(/LSSHashCallback args: expected only the options .*, got unknown option 'hashEpoch'/);
    expect(() => new LSSHashCallback(null as never)).toThrow(/args: expected an options object/);
  });
});
