// npm run -s vouchers:upload -- --benefit COFFEE --file codes.txt [--url http://localhost:4000/graphql]
// A partner uploads its voucher pool: one code per line (or CSV, first column), sent in
// chunks through uploadVoucherCodes with a progress bar; the API key comes from
// PARTNER_API_KEY. Duplicates are refused by the gateway and counted here.
import fs from 'node:fs/promises';
import { Command } from 'commander';

const CHUNK = 1000;
const program = new Command()
  .name('vouchers:upload')
  .requiredOption('--benefit <code>', 'your VOUCHER benefit, e.g. COFFEE')
  .requiredOption('--file <path>', 'codes, one per line (or CSV: first column)')
  .option('--url <url>', 'the gateway', process.env.GATEWAY_URL ?? 'http://localhost:4000/graphql')
  .parse();
const options = program.opts<{ benefit: string; file: string; url: string }>();
const apiKey = process.env.PARTNER_API_KEY;
if (!apiKey) {
  console.error('Set PARTNER_API_KEY to your partner API key (npm run -s dev:credential -- partner <id> in development).');
  process.exit(2);
}

const codes = (await fs.readFile(options.file, 'utf8'))
  .split(/\r?\n/)
  .map((line) => line.split(',')[0]!.trim().replace(/^"|"$/g, ''))
  .filter((code) => code && code.toLowerCase() !== 'code');
const totals = { accepted: 0, duplicates: 0, available: 0 };

function progress(done: number): void {
  const width = 30;
  const filled = Math.round((done / codes.length) * width);
  process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${codes.length} codes  ${totals.accepted} accepted, ${totals.duplicates} duplicates`);
}

progress(0);
for (let i = 0; i < codes.length; i += CHUNK) {
  const chunk = codes.slice(i, i + CHUNK);
  const response = await fetch(options.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({
      query: 'mutation Upload($b: String!, $c: [String!]!) { uploadVoucherCodes(benefitCode: $b, codes: $c) { accepted duplicates available } }',
      variables: { b: options.benefit, c: chunk },
    }),
  });
  const body = (await response.json()) as { data?: { uploadVoucherCodes: typeof totals }; errors?: Array<{ message: string }> };
  if (!body.data) {
    process.stderr.write(`\nchunk starting at line ${i + 1} refused: ${body.errors?.map((e) => e.message).join('; ')}\n`);
    process.exit(1);
  }
  totals.accepted += body.data.uploadVoucherCodes.accepted;
  totals.duplicates += body.data.uploadVoucherCodes.duplicates;
  totals.available = body.data.uploadVoucherCodes.available;
  progress(Math.min(codes.length, i + CHUNK));
}
process.stderr.write('\n');
console.log(`${totals.accepted} codes added, ${totals.duplicates} duplicates refused; ${totals.available} codes available in the ${options.benefit} pool.`);
