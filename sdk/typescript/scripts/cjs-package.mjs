// The package is "type": "module"; dist/cjs holds CommonJS, so it says so for itself.
import { writeFileSync } from 'node:fs';
writeFileSync(new URL('../dist/cjs/package.json', import.meta.url), '{ "type": "commonjs" }\n');
