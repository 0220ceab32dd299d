/**
 * No Docker engine runs in CI, so this is a structural check of the Dockerfile, not a build: it parses the
 * instructions and asserts the properties the deployment relies on (multi-stage, production-only install of
 * the runtime workspace, non-root user, the serve command), and that every path it copies or runs exists.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '../../..');

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  return joined
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** Instructions grouped by build stage (each FROM opens one). */
function stages(instructions: Instruction[]): Array<{ from: string; name?: string; body: Instruction[] }> {
  const out: Array<{ from: string; name?: string; body: Instruction[] }> = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const [image, as, name] = ins.args.split(/\s+/);
      out.push({ from: image, name: as?.toUpperCase() === 'AS' ? name : undefined, body: [] });
    } else if (out.length > 0) {
      out[out.length - 1].body.push(ins);
    }
  }
  return out;
}

const dockerfile = parseDockerfile(readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const built = stages(dockerfile);
const final = built[built.length - 1];

describe('Dockerfile (structure)', () => {
  it('is multi-stage, on node:20-bookworm-slim', () => {
    expect(built.length).toBeGreaterThanOrEqual(2);
    for (const stage of built) expect(stage.from).toBe('node:20-bookworm-slim');
  });

  it('installs only the runtime workspace production dependencies, from the lockfile, outside the final stage', () => {
    const installs = built.flatMap((s) => s.body.filter((i) => i.keyword === 'RUN' && /\bnpm (ci|install)\b/.test(i.args)).map((i) => ({ stage: s, args: i.args })));
    for (const { stage, args } of installs) {
      expect(stage).not.toBe(final);
      expect(args).toMatch(/\bnpm ci\b/);
      expect(args).toMatch(/(--workspace|-w)[ =]cleanroom-runtime\b/);
      expect(args).not.toMatch(/--include-workspace-root(?!=false)/);
    }
    // The node_modules the final stage runs with come from the one production install.
    const production = installs.filter((i) => /--omit=dev\b/.test(i.args));
    expect(production).toHaveLength(1);
    const copied = final.body.filter((i) => i.keyword === 'COPY' && i.args.includes('node_modules')).map((i) => /--from=(\S+)/.exec(i.args)?.[1]);
    expect(copied.length).toBeGreaterThan(0);
    expect(new Set(copied)).toEqual(new Set([production[0].stage.name]));
  });

  it('runs the compiled CLI: dist/ built in a build stage, no TypeScript sources in the image', () => {
    const build = built.find((s) => s.body.some((i) => i.keyword === 'RUN' && /npm run build (--workspace|-w)[ =]cleanroom-runtime\b/.test(i.args)));
    expect(build).toBeDefined();
    expect(build).not.toBe(final);
    expect(final.body.some((i) => i.keyword === 'COPY' && i.args.includes(`--from=${build!.name}`) && i.args.includes('cleanroom-runtime/dist'))).toBe(true);
    expect(final.body.some((i) => i.keyword === 'COPY' && /cleanroom-runtime\/src\b/.test(i.args))).toBe(false);
  });

  it('runs as the non-root node user, with production settings', () => {
    const users = final.body.filter((i) => i.keyword === 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users[users.length - 1].args).toBe('node');
    const env = final.body.filter((i) => i.keyword === 'ENV').map((i) => i.args).join(' ');
    expect(env).toMatch(/\bNODE_ENV=production\b/);
    expect(env).toMatch(/\bPORT=8080\b/);
  });

  it('starts `cleanroom runtime serve` in exec form, through a CLI entry point that exists', () => {
    const cmd = final.body.filter((i) => i.keyword === 'CMD');
    expect(cmd).toHaveLength(1);
    const argv = JSON.parse(cmd[0].args) as string[];
    expect(argv).toEqual(['node', 'cleanroom-runtime/bin/cleanroom.js', 'runtime', 'serve']);
    expect(existsSync(path.join(REPO_ROOT, argv[1]))).toBe(true);
  });

  it('copies from the build context only paths that exist and that .dockerignore does not exclude', () => {
    const ignored = readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '.git']));
    const sources = built
      .flatMap((s) => s.body)
      .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
      .flatMap((i) => i.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(path.join(REPO_ROOT, source))).toBe(true);
      expect(ignored.filter((pattern) => source === pattern || source.startsWith(`${pattern}/`))).toEqual([]);
    }
  });
});
