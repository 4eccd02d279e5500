// ESLint for the TypeScript of lib/ (typescript-eslint's recommended rules); formatting is
// Prettier's (.prettierrc.json), C++ is clang-format's (.clang-format): `npm run lint` runs all three.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { files: ['lib/**/*.ts', 'lib/**/*.mts'] },
  ...tseslint.configs.recommended,
  // Rooms a newcomer can read: a file of lib/ over 500 lines or a function over 150 (code lines,
  // not blank lines or comments) is split by concern instead.
  {
    files: ['lib/**/*.ts', 'lib/**/*.mts'],
    rules: {
      'max-lines': ['error', { max: 500, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 150, skipBlankLines: true, skipComments: true }],
    },
  },
  { ignores: ['dist/**', 'node_modules/**', 'deps/**', 'build/**', 'build-asan/**', 'build-fuzz/**', '**/*.mjs', '**/*.js', 'test/types/**'] },
);
