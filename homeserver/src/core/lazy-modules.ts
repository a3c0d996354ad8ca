// Libraries needed only on some paths (a YAML config or registration file; generating a development
// certificate) are loaded on first use: each costs ~10 MB of resident memory once loaded.
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type Forge from 'node-forge';

const require = createRequire(import.meta.url);

let yaml: typeof Yaml | undefined;
let forge: typeof Forge | undefined;

/** The `yaml` package. */
export function yamlModule(): typeof Yaml {
  yaml ??= require('yaml') as typeof Yaml;
  return yaml;
}

/** The `node-forge` package. */
export function forgeModule(): typeof Forge {
  forge ??= require('node-forge') as typeof Forge;
  return forge;
}
