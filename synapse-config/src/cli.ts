// npm run synapse-config -- --institution POLICY.yaml --out DIR [--deployment FILE] [--secrets DIR]
// Prints what was written and where each secret came from — never a secret itself.
import { parseArgs } from 'node:util';
import { generate, GeneratorError } from './generate.ts';

const USAGE = 'usage: npm run synapse-config -- --institution POLICY.yaml --out DIR [--deployment DEPLOYMENT.yaml] [--secrets DIR]';

function fail(message: string): never {
  process.stderr.write(`synapse-config: ${message}\n`);
  process.exit(1);
}

function main(): void {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        institution: { type: 'string', short: 'i' },
        out: { type: 'string', short: 'o' },
        deployment: { type: 'string', short: 'd' },
        secrets: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!values.institution) fail(`--institution is required\n${USAGE}`);
  if (!values.out) fail(`--out is required\n${USAGE}`);
  try {
    const r = generate({ institutionFile: values.institution, outDir: values.out, deploymentFile: values.deployment, secretsDir: values.secrets });
    const lines = [
      `Synapse configuration for ${r.serverName}:`,
      ...r.files.map((f) => `  ${f}`),
      `Secrets in ${r.secretsDir} (mode 0600; give them to Synapse only):`,
      ...Object.entries(r.secrets).map(([name, source]) => `  ${name}: ${source}`),
      `Signing key ${r.signingKey.keyId} (public key ${r.signingKey.publicKeyBase64}) — back it up; never replace it.`,
      ...r.warnings.map((w) => `warning: ${w}`),
    ];
    process.stdout.write(lines.join('\n') + '\n');
  } catch (e) {
    if (e instanceof GeneratorError) fail(e.message);
    throw e;
  }
}

main();
