import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'coverage/', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // lambdas/ must never depend on infrastructure or the local runtime (docs/architecture.md §1).
      'no-restricted-imports': 'off',
    },
  },
  {
    files: ['lambdas/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/lib/**', '../lib/*', '../../lib/*'],
              message: 'lambdas/ must not import lib/ (CDK).',
            },
            {
              group: ['**/local/**', '../local/*', '../../local/*'],
              message: 'lambdas/ must not import local/.',
            },
            {
              group: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs'],
              message: 'No CDK in Lambda code.',
            },
          ],
        },
      ],
    },
  },
);
