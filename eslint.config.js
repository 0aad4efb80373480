// One lint setup for the whole workspace: typescript-eslint with type information (floating promises
// are bugs in money code), import-x for cycles and deep imports; formatting is Prettier's job.
import js from '@eslint/js';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'packages/proto/src/gen/**',
      '.stack/**',
      'bench/results/**',
      'test/contracts/artifacts/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', '*.ts'] }, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [] },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'import-x/no-cycle': 'error',
      'import-x/no-self-import': 'error',
      // A package is used only through its src/index.ts (the exports map): no deep imports.
      'no-restricted-imports': ['error', { patterns: [{ group: ['@wallet/*/*'], message: 'import the package entry, not its files' }] }],
      eqeqeq: ['error', 'always'],
      // Handlers implement async interfaces; an async function without await is not a bug there.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Production code (packages and services, not their tests or benchmarks) never uses test tooling or the test tree:
    // entry points and runtime configuration live in services/ and deploy/, test helpers in @wallet/testkit.
    files: ['packages/*/src/**/*.ts', 'services/*/src/**/*.ts', 'deploy/**/*.ts'],
    ignores: ['**/*.test.ts', 'packages/testkit/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@wallet/*/*'], message: 'import the package entry, not its files' },
            { group: ['@wallet/testkit'], message: 'test tooling: only tests and benchmarks may import it' },
            { group: ['**/test/**'], message: 'production code never imports from test/' },
          ],
        },
      ],
    },
  },
  {
    // Root tool configs and the images' health check script are outside the TS projects.
    files: ['*.config.js', '*.config.ts', 'deploy/images/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
);
