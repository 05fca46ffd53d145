import { RehashCallback } from '../src';

describe('callback options', () => {
  it('RehashCallback rejects a misspelt or unknown option, naming it, before anything else', () => {
    expect(() => new RehashCallback({ layer: null, everyEpoch: 1 } as never)).toThrow(/RehashCallback args: expected only the options layer, everyBatches, everyEpochs, minChangedFraction, verbose, got unknown option 'everyEpoch'/);
    expect(() => new RehashCallback(undefined as never)).toThrow(/args: expected an options object/);
  });
});
