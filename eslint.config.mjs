// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      '.data/',
      'coverage/',
      'eslint.config.mjs',
      '.dependency-cruiser.cjs',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Handlers must not write to the console; the local host and CLIs are the exceptions below.
      'no-console': 'error',
      // Compiled to CommonJS: a top-level `module`, `exports` or `require` makes Node 20 load the
      // file as an ES module, and it fails at start-up (the tests run the source, not the build).
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'Program > VariableDeclaration > VariableDeclarator[id.name=/^(module|exports|require)$/]',
          message: 'Name it otherwise: the CommonJS wrapper defines module, exports and require',
        },
        {
          selector:
            'Program > ExportNamedDeclaration > VariableDeclaration > VariableDeclarator[id.name=/^(module|exports|require)$/]',
          message: 'Name it otherwise: the CommonJS wrapper defines module, exports and require',
        },
      ],
    },
  },
  {
    files: [
      'local/**',
      'src/adapters/logging/consoleLogger.ts',
      'standins/**',
      'bench/**',
      'src/composition/servicesFromEnvironment.ts',
      'src/mqtt/main.ts',
      'test/**',
    ],
    rules: { 'no-console': 'off' },
  },
  {
    // The dashboard: browser modules, type-checked by dashboard/tsconfig.json (which knows the
    // DOM globals); the API's JSON replies are read untyped.
    files: ['dashboard/**'],
    rules: {
      'no-undef': 'off',
      'no-restricted-syntax': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Tests poke at SDK internals and untyped JSON replies on purpose.
    files: ['test/**', 'standins/**/test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // Vitest runs tests from source; they are never compiled to CommonJS.
      'no-restricted-syntax': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The Cosmos stand-in extends a library through its internals, on purpose: `import = require`
    // reaches the real exports it replaces, and its prototypes' methods are wrapped.
    files: ['standins/cosmos/**'],
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
