import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT, directoryAssets } from './adapters/node/files.ts';
import { nodeDeps } from './adapters/node/deps.ts';
import { jsonLogger } from './adapters/node/logger.ts';
import { memoryStore } from './adapters/store/memory.ts';
import { createApp } from './app.ts';
import { jsonSchemas } from './core/blocks/json-schema.ts';
import { blockSchema, type BlockConfig, type StoredBlock } from './core/blocks/schema.ts';
import { appConfig, parseConfig, type RawConfig } from './core/config.ts';
import { blockProblems, kindOf } from './core/kinds/registry.ts';
import type { Embed } from './core/links/embed.ts';
import { ESPS, MERGE_TAGS, type Esp } from './core/links/snippets.ts';
import type { Store } from './core/ports.ts';
import { Signer } from './core/audience/signing.ts';
import { TemplateEngine } from './core/templates/liquid.ts';
import { TemplateRegistry } from './core/templates/registry.ts';
import { templateProblems } from './core/templates/validate.ts';
import { problemsFrom, type Problem } from './core/shared/validation.ts';
import { readExplanation } from './core/recommend/explain.ts';

/**
 * `npx opentime …`: validate block JSON and templates, preview a block as a
 * given subscriber at a given moment, print the HTML to paste into an ESP,
 * and write the JSON Schema files. Exit codes: 0 fine, 1 a problem with the
 * input (every problem is printed), 2 a usage error.
 */
const USAGE = `Usage:
  opentime validate <block.json|template.html>...
  opentime render <block.json|block-id> [--subscriber <id>] [--message <id>] [--at <ISO time>]
                  [--param name=value]... [--user-agent <UA>] [--out <file.png|file.gif>]
                  [--fallback]   (draw the block's static fallback image instead)
  opentime links <block.json|block-id> --esp <${ESPS.join('|')}> [--origin <https://…>] [--alt <text>]
                 [--whole]   (a grid as one image and one link; by default, one per product)
                 [--sign token|template]   (token: a profile field from \`opentime tokens\`;
                                            template: Braze's HMAC or SFMC's JWT in the template)
  opentime tokens <subscriber-id>... [--file <ids.txt>]   (CSV: id,opentime_token)
  opentime signing-keys   (the secrets an ESP that signs in its template keeps: Braze's, SFMC's)
  opentime schema [--out <dir>]

Environment: OPENTIME_DATA_DIR (the embedded store to read profiles, catalog
and blocks from; default ./data) and the other OPENTIME_* settings of the server.`;

class UsageError extends Error {}

/** How long a preview waits for each store call (an open waits OPENTIME_STORE_TIMEOUT_MS, 50 ms by default). */
const PREVIEW_STORE_TIMEOUT_MS = 5000;

const print = (line = '') => process.stdout.write(`${line}\n`);
const printProblems = (problems: readonly Problem[]) => {
  for (const p of problems) print(`    ${p.path}: ${p.message}`);
};

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Validates every file; templates named in the same run count as existing for the blocks. */
async function validate(files: string[]): Promise<number> {
  if (files.length === 0) throw new UsageError('validate needs at least one file');
  const store = memoryStore();
  const registry = new TemplateRegistry(store, directoryAssets(resolve(PROJECT_ROOT, 'templates')), 0);
  const engine = new TemplateEngine();
  let failed = 0;
  const templates = files.filter((f) => extname(f) === '.html');
  for (const file of templates) {
    const source = await readFile(file, 'utf8');
    const problems = await templateProblems(engine, source);
    if (problems.length === 0) await store.putTemplate(basename(file, '.html'), source, Date.now());
    failed += report(file, problems);
  }
  for (const file of files.filter((f) => extname(f) !== '.html')) {
    const parsed = blockSchema.safeParse(await readJson(file));
    const problems = parsed.success ? await blockProblems(parsed.data, registry) : problemsFrom(parsed.error);
    failed += report(file, problems);
  }
  print(failed === 0 ? `All ${files.length} file${files.length === 1 ? '' : 's'} valid.` : `${failed} of ${files.length} invalid.`);
  return failed === 0 ? 0 : 1;
}

function report(file: string, problems: readonly Problem[]): number {
  if (problems.length === 0) {
    print(`  ok       ${file}`);
    return 0;
  }
  print(`  invalid  ${file}`);
  printProblems(problems);
  return 1;
}

/** A block from a file (not stored: version 0) or the id of a stored block. */
async function blockFrom(argument: string): Promise<{ block?: BlockConfig; id: string; problems: Problem[] }> {
  if (!argument.endsWith('.json')) return { id: argument, problems: [] };
  const parsed = blockSchema.safeParse(await readJson(argument));
  if (!parsed.success) return { id: basename(argument, '.json'), problems: problemsFrom(parsed.error) };
  return { block: parsed.data, id: parsed.data.id, problems: [] };
}

/** The store, with a block from a file served as if stored (so nothing is written). */
function withBlock(store: Store, block: BlockConfig | undefined): Store {
  if (!block) return store;
  const stored: StoredBlock = { config: block, version: 0, updatedAt: Date.now() };
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'getBlock') return async (id: string) => (id === block.id ? stored : target.getBlock(id));
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function render(argument: string | undefined, values: Record<string, string | string[] | boolean | undefined>): Promise<number> {
  if (!argument) throw new UsageError('render needs a block file or id');
  const at = values.at === undefined ? Date.now() : Date.parse(String(values.at));
  if (Number.isNaN(at)) throw new UsageError(`--at ${JSON.stringify(values.at)} is not an ISO time`);
  const { block, id, problems } = await blockFrom(argument);
  if (problems.length > 0) {
    print(`  invalid  ${argument}`);
    printProblems(problems);
    return 1;
  }
  const raw = parseConfig({ ...process.env, OPENTIME_DEMO: '0' });
  const config = appConfig(raw, { adminKeys: [], writeKeys: [], secret: raw.OPENTIME_SECRET ?? (await storedSecret(raw.OPENTIME_DATA_DIR)) });
  // The store budget is for inboxes, which must get an image at once; a person previewing can wait for the store.
  config.storeTimeoutMs = Math.max(config.storeTimeoutMs, PREVIEW_STORE_TIMEOUT_MS);
  const { deps, drain } = await nodeDeps({
    raw,
    config,
    logger: jsonLogger({ quiet: !values.verbose, write: (line) => process.stderr.write(`${line}\n`) }),
    clock: { now: () => at },
  });
  deps.store = withBlock(deps.store, block);
  try {
    const config = block ?? (await deps.store.getBlock(id))?.config;
    const out = String(values.out ?? `${id}.${config ? kindOf(config).formats[0] : 'png'}`);
    const query = new URLSearchParams();
    if (values.subscriber) query.set('u', String(values.subscriber));
    if (values.message) query.set('m', String(values.message));
    for (const pair of (values.param as string[] | undefined) ?? []) {
      const eq = pair.indexOf('=');
      if (eq < 1) throw new UsageError(`--param ${pair} is not name=value`);
      query.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    // A preview: the open path reads live data and writes nothing (no open record, lock, counter or engagement event).
    const { app, services } = createApp(deps, { preview: true });
    if (values.fallback) {
      const stored = block ?? (await deps.store.getBlock(id))?.config;
      if (!stored) throw new UsageError(`no stored block ${JSON.stringify(id)}`);
      const png = await services.renderer.renderStatic(stored);
      await writeFile(out, png);
      print(`  ${out}: ${png.byteLength} bytes, the static fallback of ${id}`);
      return 0;
    }
    const ua = values['user-agent'] ? { 'user-agent': String(values['user-agent']) } : undefined;
    const response = await app.request(`/i/${id}.${extname(out) === '.gif' ? 'gif' : 'png'}?${query}`, ua ? { headers: ua } : {});
    const bytes = new Uint8Array(await response.arrayBuffer());
    const contentType = response.headers.get('content-type');
    // A block of photos is sent as a JPEG at its .png URL; a file named by default is named for what it holds.
    const file = values.out === undefined && contentType === 'image/jpeg' ? out.replace(/\.png$/, '.jpg') : out;
    await writeFile(file, bytes);
    const fallback = response.headers.get('x-opentime-fallback');
    const error = response.headers.get('x-opentime-error');
    print(`  ${file}: ${bytes.byteLength} bytes, ${contentType}, at ${new Date(at).toISOString()}${fallback ? `, fallback (${fallback}${error ? `: ${error}` : ''})` : ''}`);
    const why = response.headers.get('x-opentime-why');
    if (why) for (const line of readExplanation(why)) print(`    ${line}`);
    return fallback ? 1 : 0;
  } finally {
    await drain();
    await deps.store.close();
  }
}

/** The secret the server generated on first start (so email-shaped ids hash the same way). */
async function storedSecret(dataDir: string): Promise<string> {
  try {
    return (JSON.parse(await readFile(join(resolve(dataDir), 'keys.json'), 'utf8')) as { secret: string }).secret;
  } catch {
    return 'opentime-cli-no-secret-configured';
  }
}

async function links(argument: string | undefined, values: Record<string, string | string[] | boolean | undefined>): Promise<number> {
  if (!argument) throw new UsageError('links needs a block file or id');
  const esp = String(values.esp ?? '') as Esp;
  if (!ESPS.includes(esp)) throw new UsageError(`--esp must be one of ${ESPS.join(', ')}`);
  const { block: file, id, problems } = await blockFrom(argument);
  if (problems.length > 0) {
    print(`  invalid  ${argument}`);
    printProblems(problems);
    return 1;
  }
  const raw = parseConfig({ ...process.env, OPENTIME_DEMO: '0' });
  const block = file ?? (await storedBlock(raw, id));
  if (!block) throw new UsageError(`no stored block ${JSON.stringify(id)}; pass the block's JSON file instead`);
  const origin = linkOrigin(values.origin, raw);
  const sign = values.sign === undefined ? undefined : String(values.sign);
  if (sign !== undefined && sign !== 'token' && sign !== 'template') throw new UsageError('--sign must be token or template');
  if (sign === 'template' && !MERGE_TAGS[esp].inTemplate) throw new UsageError(`${MERGE_TAGS[esp].label} cannot sign in its templates; use --sign token`);
  const signing = sign ? { mode: sign as 'token' | 'template', keyId: (await signerFromEnv()).currentKeyId } : undefined;
  // Where a grid is cut comes from laying out its template: the same app as the server, reading templates from the same store, writing nothing.
  const config = appConfig(raw, { adminKeys: [], writeKeys: [], secret: raw.OPENTIME_SECRET ?? (await storedSecret(raw.OPENTIME_DATA_DIR)) });
  config.storeTimeoutMs = Math.max(config.storeTimeoutMs, PREVIEW_STORE_TIMEOUT_MS);
  const { deps, drain } = await nodeDeps({ raw, config, logger: jsonLogger({ quiet: true, write: (line) => process.stderr.write(`${line}\n`) }) });
  let embed: Embed;
  try {
    const { services } = createApp(deps, { preview: true });
    embed = await services.embeds.embed(block, {
      esp,
      origin,
      sliced: values.whole ? false : undefined,
      ...(values.alt === undefined ? {} : { alt: String(values.alt) }),
      ...(signing ? { signing } : {}),
    });
  } finally {
    await drain();
    await deps.store.close();
  }
  print(embed.html);
  print();
  for (const note of embed.notes) print(`<!-- ${note.replace(/--/g, '- -')} -->`);
  if (sign === 'template' && esp === 'braze') print('<!-- Replace YOUR_SIGNING_KEY with the token secret (t) that `npx opentime signing-keys` prints. -->');
  if (sign === 'template' && esp === 'sfmc')
    print('<!-- Store the JWT secret (jwt) that `npx opentime signing-keys` prints in Key Management under the name "opentime" (symmetric key). -->');
  return 0;
}

/** The whole stored block (its kind decides the image's extension; its headline, the alt text). */
async function storedBlock(raw: RawConfig, id: string): Promise<BlockConfig | undefined> {
  const { sqliteStore } = await import('./adapters/store/sqlite.ts');
  const store = sqliteStore({ path: join(resolve(raw.OPENTIME_DATA_DIR), 'opentime.db') });
  try {
    return (await store.getBlock(id))?.config;
  } finally {
    await store.close();
  }
}

/** --origin, else OPENTIME_PUBLIC_URL, else the local server on PORT (as `npm start` listens). */
function linkOrigin(option: unknown, raw: RawConfig): string {
  if (option === undefined) return raw.OPENTIME_PUBLIC_URL?.replace(/\/+$/, '') ?? `http://localhost:${raw.PORT}`;
  const value = String(option).replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s"'<>]+$/.test(value) || !URL.canParse(value))
    throw new UsageError(`--origin ${JSON.stringify(value)} is not an http(s) URL such as https://live.example.com`);
  return value;
}

/** The signer the server would use, from the same settings. */
async function signerFromEnv(): Promise<Signer> {
  const raw = parseConfig({ ...process.env, OPENTIME_DEMO: '0' });
  const secret = raw.OPENTIME_SECRET ?? (await storedSecret(raw.OPENTIME_DATA_DIR));
  return new Signer(appConfig(raw, { adminKeys: [], writeKeys: [], secret }).signingKeys);
}

/** Subscriber tokens as CSV, to import into an ESP as the profile field `opentime_token`. */
async function tokens(ids: string[], values: Record<string, string | string[] | boolean | undefined>): Promise<number> {
  const all = [...ids];
  if (values.file)
    all.push(
      ...(await readFile(String(values.file), 'utf8'))
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('#')),
    );
  if (all.length === 0) throw new UsageError('tokens needs subscriber ids (or --file with one per line)');
  const signer = await signerFromEnv();
  const csv = (value: string) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  print('id,opentime_token');
  for (const id of all) print(`${csv(id)},${await signer.token(id)}`);
  process.stderr.write(`${all.length} token${all.length === 1 ? '' : 's'} for key ${signer.currentKeyId} (put k=${signer.currentKeyId} in the URLs).\n`);
  return 0;
}

/**
 * The secrets derived from each active key, for ESPs that compute the proof
 * in their own templates: Braze's hmac_sha256_base64 takes the token secret,
 * SFMC's GetJWTByKeyName the JWT secret. The configured secrets themselves
 * never leave the server's settings.
 */
async function signingKeys(): Promise<number> {
  const raw = parseConfig({ ...process.env, OPENTIME_DEMO: '0' });
  const secret = raw.OPENTIME_SECRET ?? (await storedSecret(raw.OPENTIME_DATA_DIR));
  const keys = appConfig(raw, { adminKeys: [], writeKeys: [], secret }).signingKeys;
  const signer = new Signer(keys);
  print('k,use,secret');
  for (const { id } of keys) {
    for (const use of ['t', 'jwt'] as const) print(`${id},${use},${await signer.useSecret(use, id)}`);
  }
  process.stderr.write(`Key ${signer.currentKeyId} signs new links. t: Braze's hmac_sha256_base64 key; jwt: SFMC's Key Management key "opentime".\n`);
  return 0;
}

async function schema(values: Record<string, string | string[] | boolean | undefined>): Promise<number> {
  const dir = resolve(String(values.out ?? join(PROJECT_ROOT, 'templates', 'schema')));
  await mkdir(dir, { recursive: true });
  for (const [file, content] of Object.entries(jsonSchemas())) {
    await writeFile(join(dir, file), `${JSON.stringify(content, null, 2)}\n`);
    print(`  wrote ${join(dir, file)}`);
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      subscriber: { type: 'string' },
      message: { type: 'string' },
      at: { type: 'string' },
      out: { type: 'string' },
      param: { type: 'string', multiple: true },
      'user-agent': { type: 'string' },
      esp: { type: 'string' },
      origin: { type: 'string' },
      alt: { type: 'string' },
      whole: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      verbose: { type: 'boolean', short: 'v' },
      fallback: { type: 'boolean' },
      sign: { type: 'string' },
      file: { type: 'string' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    print(USAGE);
    return values.help ? 0 : 2;
  }
  switch (command) {
    case 'validate':
      return validate(rest);
    case 'render':
      return render(rest[0], values);
    case 'links':
      return links(rest[0], values);
    case 'schema':
      return schema(values);
    case 'tokens':
      return tokens(rest, values);
    case 'signing-keys':
      return signingKeys();
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`opentime: ${error instanceof Error ? error.message : String(error)}\n`);
      if (error instanceof UsageError) process.stderr.write(`\n${USAGE}\n`);
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}
