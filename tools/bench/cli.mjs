// The command lines of tools/ (benchmarks, plots, experiments): node:util parseArgs, with
// --help printing the usage and every option. Kept apart from harness.mjs so that a command
// that needs no tfjs (plot.mjs) does not load it.
import { parseArgs } from 'node:util';

function optionLine(name, o) {
  const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` <${o.arg ?? 'value'}>` : ''}`;
  const byDefault = o.type === 'string' && o.default != null ? ` (default ${o.default})` : '';
  return `  ${flag.padEnd(28)} ${o.help ?? ''}${byDefault}`;
}

/**
 * Parses process.argv. `options` are parseArgs options, each with a `help` text (and for a string
 * option `arg`, the name of its value). --help prints `usage`, the options and `epilog`, then exits 0;
 * a command line parseArgs rejects prints the error and the same text, then exits 2. Returns parseArgs'
 * {values, positionals} and fail(message), which does the same for errors the caller finds.
 */
export function parseCommandLine({ usage, options = {}, positionals = false, epilog = '' }) {
  const all = { ...options, help: { type: 'boolean', short: 'h', help: 'print this text' } };
  const text = [usage, '', 'options:', ...Object.entries(all).map(([name, o]) => optionLine(name, o)), ...(epilog ? ['', epilog] : [])].join('\n');
  const fail = (message) => {
    console.error(`${message}\n\n${text}`);
    process.exit(2);
  };
  const PARSE_ARGS_KEYS = ['type', 'short', 'multiple', 'default'];
  const config = Object.fromEntries(Object.entries(all).map(([name, o]) => [name, Object.fromEntries(PARSE_ARGS_KEYS.filter((k) => k in o).map((k) => [k, o[k]]))]));
  let parsed;
  try {
    parsed = parseArgs({ options: config, allowPositionals: positionals });
  } catch (e) {
    fail(e.message);
  }
  if (parsed.values.help) {
    console.log(text);
    process.exit(0);
  }
  return { values: parsed.values, positionals: parsed.positionals, fail };
}
