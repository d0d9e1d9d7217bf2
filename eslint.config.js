// ESLint (flat config) for geoquartier's page scripts: `make lint` or `npx eslint`.
// The scripts are classic browser scripts (no modules, no bundler) inlined into the pages;
// Leaflet is the global L, and geoquartier-base.js creates the global GQ the page scripts use.
import js from "@eslint/js";
import globals from "globals";

export default [
  {
    ignores: [".venv/**", "node_modules/**", "maps/**", "workspace/**", "test-artifacts/**", ".cache/**"],
  },
  js.configs.recommended,
  {
    files: ["geoquartier/maps/static/**/*.js", "api/participation/static/**/*.js"],
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: "script",
      globals: { ...globals.browser, L: "readonly" },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { sourceType: "module", globals: { ...globals.node } },
  },
];
