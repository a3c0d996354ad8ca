// `npm run bench`: runs every benchmark in turn; each prints a table and writes bench/results/*.json.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const benches = ['homeserver.bench.ts', 'federation.bench.ts', 'bridge.bench.ts', 'web-client.bench.ts', 'web-client-chat.bench.ts', 'demo.bench.ts', 'program-report.bench.ts', 'program-web.bench.ts'];
const extra = process.argv.slice(2);
let failed = false;
process.env['PEERLINE_BENCH_RUN'] = new Date().toISOString();
for (const b of benches) {
  const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', resolve(import.meta.dirname, b), ...extra], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
