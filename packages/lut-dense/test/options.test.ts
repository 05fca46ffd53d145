import { ProgressiveLUTReplacement } from '../src';

describe('callback options', () => {
  it('ProgressiveLUTReplacement rejects a misspelt or unknown option, naming it, before anything else', () => {
    expect(() => new ProgressiveLUTReplacement({ layers: [], data: null, epochPerLayer: 1 } as never)).toThrow(/ProgressiveLUTReplacement args: expected only the options .*, got unknown option 'epochPerLayer'/);
    expect(() => new ProgressiveLUTReplacement(undefined as never)).toThrow(/args: expected an options object/);
  });
});
