import { Command, CommanderError } from 'commander';
import { EntitlementVerificationError } from './errors.js';
import {
  createEntitlementVerifier,
  type EntitlementStatus,
  type EntitlementVerifierOptions,
  type VerifiedEntitlement,
} from './verifier.js';

/** Exit codes of `entitlement-verify`. */
export const EXIT_VERIFIED = 0;
export const EXIT_REJECTED = 1;
export const EXIT_USAGE = 2;

// A token is ~400 characters; stop reading stdin well past that.
const MAX_STDIN_BYTES = 64 * 1024;

/** Where the CLI reads and writes: the process's streams, or stand-ins in tests. */
export interface CliIo {
  stdin: AsyncIterable<string | Uint8Array>;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Extra verifier options (a stub fetch, a frozen clock); the command line wins. */
  verifierOptions?: Partial<EntitlementVerifierOptions>;
}

interface CommandOptions {
  issuer: string;
  audience: string;
  jwks?: string;
  json?: boolean;
  /** False with --no-status. */
  status: boolean;
  requireStatus?: boolean;
}

/**
 * Runs `entitlement-verify` with `argv` (the arguments after the program name) and returns
 * the exit code: 0 verified, 1 rejected (`REJECTED <reason>: <message>` on stderr), 2 usage.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_USAGE;
  const program = new Command('entitlement-verify')
    .description('Verify a coalition entitlement token offline against the issuer\'s published keys.')
    .requiredOption('--issuer <url>', 'issuer URL, exactly as in the tokens\' "iss"')
    .requiredOption('--audience <partnerId>', 'your partner id (the expected "aud")')
    .option('--jwks <url>', 'JWKS URL (default: jwks_uri from <issuer>/.well-known/entitlement-issuer)')
    .option('--json', 'print the verified claims as JSON')
    .option('--no-status', "skip the revocation check against the token's status list")
    .option('--require-status', 'refuse tokens without a status claim (issued before status lists)')
    .argument('<token>', 'the token, or - to read it from stdin')
    .helpOption('-h, --help', 'show this help')
    .addHelpText(
      'after',
      '\nExit codes: 0 verified, 1 rejected (REJECTED <reason>: <message> on stderr), 2 usage error.',
    )
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .action(async (tokenArgument: string, options: CommandOptions) => {
      exitCode = await verifyCommand(tokenArgument, options, io);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    // Commander has already printed the usage problem (or the help, with exit code 0).
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_VERIFIED : EXIT_USAGE;
    throw error;
  }
  return exitCode;
}

async function verifyCommand(tokenArgument: string, options: CommandOptions, io: CliIo): Promise<number> {
  let verify: (token: string) => Promise<VerifiedEntitlement>;
  try {
    ({ verify } = createEntitlementVerifier({
      ...io.verifierOptions,
      issuer: options.issuer,
      audience: options.audience,
      ...(options.jwks !== undefined ? { jwksUri: options.jwks } : {}),
      checkStatus: options.status,
      ...(options.requireStatus ? { requireStatus: true } : {}),
    }));
  } catch (error) {
    io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_USAGE;
  }

  const token = (tokenArgument === '-' ? await readAll(io.stdin) : tokenArgument).trim();
  try {
    const entitlement = await verify(token);
    io.stdout.write(options.json ? `${JSON.stringify(entitlement, null, 2)}\n` : describe(entitlement));
    return EXIT_VERIFIED;
  } catch (error) {
    if (error instanceof EntitlementVerificationError) {
      io.stderr.write(`REJECTED ${error.reason}: ${error.message}\n`);
      return EXIT_REJECTED;
    }
    throw error;
  }
}

function describe(entitlement: VerifiedEntitlement): string {
  const rows: Array<[string, string]> = [
    ['member pseudonym', entitlement.memberPseudonym],
    ['entitlement', entitlement.entitlementId],
    ['benefit', entitlement.benefitCode],
    ['token id', entitlement.tokenId],
    ['issued at', entitlement.issuedAt.toISOString()],
    ['expires at', entitlement.expiresAt.toISOString()],
    ['key id', entitlement.keyId],
    ['status', describeStatus(entitlement.status)],
  ];
  return `VALID entitlement token\n${rows.map(([label, value]) => `  ${label.padEnd(17)} ${value}\n`).join('')}`;
}

function describeStatus(status: EntitlementStatus): string {
  switch (status.state) {
    case 'VALID':
      return `VALID (list ${status.uri} entry ${status.idx}, as of ${status.listIssuedAt.toISOString()})`;
    case 'NOT_CHECKED':
      return `not checked (--no-status; list ${status.uri} entry ${status.idx})`;
    case 'NO_STATUS':
      return 'none (the token has no status claim)';
  }
}

async function readAll(stream: AsyncIterable<string | Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
    chunks.push(bytes);
    size += bytes.length;
    // Anything this long is rejected as MALFORMED anyway; no need to read the rest.
    if (size > MAX_STDIN_BYTES) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}
