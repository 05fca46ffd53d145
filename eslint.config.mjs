import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'scratch/**', 'docs/**', '.nx/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.cjs', '**/*.mjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // The boundaries between packages (docs/architecture.md): a package reaches another only through its
  // index ('@hashlayers/x') or its documented internal entry ('@hashlayers/x/internal'), never into src/ or dist/.
  {
    files: ['packages/**/*.ts', 'packages/**/*.mjs', 'packages/**/*.cjs', 'tools/**/*.ts', 'tools/**/*.mjs', 'tools/**/*.cjs'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@hashlayers/*/*', '!@hashlayers/*/internal', '!@hashlayers/*/package.json'],
              message: "Import a hashlayers package through its index ('@hashlayers/x') or its internal entry ('@hashlayers/x/internal'), never its src/ or dist/.",
            },
            {
              group: ['**/packages/*/src', '**/packages/*/src/**', '**/packages/*/dist', '**/packages/*/dist/**', '../../*/src', '../../*/src/**', '../../*/dist/**'],
              message: "Another package's src/ or dist/ is private: import '@hashlayers/x' or '@hashlayers/x/internal'.",
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.name='require'][arguments.0.value=/^@hashlayers\\/[a-z-]+\\/(?!internal$|package\\.json$)|packages\\/[a-z-]+\\/(src|dist)\\//]",
          message: "require() a hashlayers package through its index or its '/internal' entry, never its src/ or dist/.",
        },
      ],
    },
  },
  {
    files: ['**/test/**/*.ts', 'tools/testing/**/*.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
