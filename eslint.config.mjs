// ESLint for the TypeScript of lib/ (typescript-eslint's recommended rules); formatting is
// Prettier's (.prettierrc.json), C++ is clang-format's (.clang-format): `npm run lint` runs all three.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { files: ['lib/**/*.ts'] },
  ...tseslint.configs.recommended,
  { ignores: ['dist/**', 'node_modules/**', 'deps/**', 'build/**', 'build-asan/**', 'build-fuzz/**', '**/*.mjs', '**/*.js', 'test/types/**'] },
);
