import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'test-results/**', 'adapters/web/public/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The core is platform-neutral: it never imports an adapter or a platform SDK.
    files: ['src/**/*.ts'],
    ignores: ['src/main.ts', 'src/cli.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'natural', message: 'Import natural by subpath (natural/lib/natural/...): the root costs 0.7 s and loads ./.env.' },
        ],
        patterns: [
          { group: ['**/adapters/**'], message: 'src/ is the platform-neutral core: adapters import the core, never the reverse.' },
          { group: ['@slack/*', 'botbuilder*', 'express'], message: 'Platform SDKs belong in adapters/.' },
          { group: ['prom-client'], message: 'The core reports through the Metrics interface of src/metrics.ts; prom-client lives in adapters/http/metrics.ts, injected by src/main.ts.' },
        ],
      }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration once, in src/config.ts, and pass it in.' }],
    },
  },
  {
    files: ['src/config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
