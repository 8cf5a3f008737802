// One flat config for every workspace: typescript-eslint with type information (projectService
// finds each workspace's tsconfig), plus plain rules for the build scripts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/cdktf.out/**',
      '**/coverage/**',
      '**/.data/**',
      '**/.artifacts/**',
    ],
  },
  js.configs.recommended,
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Issue 17: no source function over ~150 lines (tests are exempt: a describe block is long by nature).
    files: ['**/src/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 150, IIFEs: true }] },
  },
  {
    // Still over the limit (decision KIT-1): cdktf constructors that wire many resources, two functions
    // of the functions host's hot path. Remove a file from this list once split.
    files: [
      'cdktf/src/bootstrap-stack.ts',
      'cdktf/src/constructs/api-management.ts',
      'cdktf/src/pipeline-stack.ts',
      'local/functions-host/src/event-hub-trigger.ts',
      'local/functions-host/src/host.ts',
    ],
    rules: { 'max-lines-per-function': 'off' },
  },
);
