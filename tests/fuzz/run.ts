// `npm run fuzz`: the full-size endpoint fuzzer. Starts the stack (homeserver + bridge + partner
// homeserver + fake federation server), sends every endpoint the deterministic edge cases and
// FUZZ_RUNS random cases (default 20) from FUZZ_SEED (default: random, printed), prints the
// findings and exits non-zero when there are any. FUZZ_ONLY=<regex> limits it to matching
// endpoints (`METHOD /path/{param}`).
import { startFuzzStack } from './stack.ts';
import { fuzzEndpoints } from './fuzz.ts';

const seed = Number(process.env['FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const runs = Number(process.env['FUZZ_RUNS'] ?? 20);
const only = process.env['FUZZ_ONLY'] ? new RegExp(process.env['FUZZ_ONLY']) : undefined;
process.stdout.write(`fuzz: seed ${seed}, ${runs} random cases per endpoint (FUZZ_SEED=${seed} repeats this run)\n`);
const stack = await startFuzzStack();
let failed: boolean;
try {
  const started = performance.now();
  const report = await fuzzEndpoints(stack, { seed, randomPerEndpoint: runs, timeoutMs: 15_000, ...(only ? { only } : {}), log: (l) => process.stdout.write(`  ${l}\n`) });
  process.stdout.write(`fuzz: ${report.endpoints} endpoints, ${report.requests} requests (${report.accepted} accepted, ${report.refused} refused) in ${Math.round((performance.now() - started) / 1000)} s, ${report.findings.length} findings\n`);
  for (const f of report.findings) process.stdout.write(`  FINDING ${f.endpoint} — ${f.case}: ${f.problem}\n`);
  if (report.findings.length > 0) process.stdout.write(`fuzz: seed ${seed}\n`);
  failed = report.findings.length > 0;
} finally {
  await stack.stop();
}
process.exit(failed ? 1 : 0);
