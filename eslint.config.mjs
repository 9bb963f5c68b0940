import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import vue from 'eslint-plugin-vue'

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'test-results/**',
      'node_modules/**',
      'workspace/**',
      'bin/**',
      'scripts/**',
      'bench/**'
    ]
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } }
  },
  {
    // TypeScript checks names itself; layout is Prettier's job, not ESLint's.
    files: ['**/*.ts', '**/*.vue'],
    rules: {
      'no-undef': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off'
    }
  },
  {
    // Layering (README "Who may import whom"): the engine and shared code never import Electron.
    files: ['src/main/engine/**/*.ts', 'src/main/cli/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'The engine is Electron-free.' }] }
      ]
    }
  },
  {
    files: ['src/renderer/**/*'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', 'electron', '**/main/**'] }]
    }
  }
)
