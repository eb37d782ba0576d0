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
  {
    // The console's browser app (bundled by esbuild for the browser): no Node built-ins, nothing
    // server-side but types, and no HTML from strings (everything shown is text via Preact; the
    // one exception, the state-machine SVG from our own server, is parsed with DOMParser).
    files: ['local/console/app/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'The console app runs in the browser.' },
            {
              group: ['**/ops/**', '**/cli/**', '**/local/console/server/**', '**/lib/**'],
              allowTypeImports: true,
              message:
                'Only types from server-side code (import type), so nothing of it is bundled.',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        ...['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'write', 'writeln'].map((property) => ({
          property,
          message: 'Render text through Preact; never HTML from strings.',
        })),
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'TemplateElement[value.raw=/dangerouslySetInnerHTML/]',
          message: 'Render text through Preact; never HTML from strings.',
        },
      ],
    },
  },
);
