/**
 * A participant can put anything in its local bucket folder; Cloud Storage has only objects (bytes under a key).
 * The local store must show a bucket exactly as GCS would: no symbolic link followed at any component of a key,
 * no FIFO, socket or folder read as an object, no listing that loops or leaves the bucket, no write that lands
 * outside the bucket folder. Run against both ways of walking folders (descriptors on Linux, lstat elsewhere).
 *
 * What the store relies on:
 * - GCS object names are valid UTF-8, at most 1024 bytes, without CR or LF:
 *   https://cloud.google.com/storage/docs/objects#naming
 * - open(2): O_NOFOLLOW fails with ELOOP when the last component is a symbolic link; opening a FIFO read-only with
 *   O_NONBLOCK succeeds at once even with no writer; O_DIRECTORY fails with ENOTDIR on a non-folder:
 *   https://man7.org/linux/man-pages/man2/open.2.html
 * - /proc/self/fd/<fd> is a link to the opened file itself, so a path through it starts from the opened folder:
 *   https://man7.org/linux/man-pages/man5/proc_pid_fd.5.html
 * - with fs.protected_hardlinks = 1 (the default of current distributions) a user can only hard-link a file it owns
 *   or can read and write: https://www.kernel.org/doc/html/latest/admin-guide/sysctl/fs.html#protected-hardlinks
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { descriptorWalkAvailable, type FolderWalk } from '../../src/storage/local-folders';
import { LocalObjectStore, NotAnObjectError } from '../../src/storage/local-store';
import { LOCAL_TEMP_DIR } from '../../src/storage/names';
import { AlreadyExistsError, listAll, NotFoundError } from '../../src/storage/object-store';
import { Fifos } from '../support/fifos';

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

const MALLORY = 'mallory-bucket';
const KEEPER = 'keeper-bucket';
const KEEPER_FILES: Record<string, string> = {
  'input/users/part-0.parquet': 'keeper users',
  'input/users/_delta_log/00000000000000000000.json': 'keeper commit',
  'control/runs/_delta_log/00000000000000000000.json': 'keeper runs',
};

const walks: FolderWalk[] = descriptorWalkAvailable() ? ['descriptors', 'lstat'] : ['lstat'];

/** Every file under a folder (relative path → content), links not followed. */
async function snapshotOf(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const rel = path.relative(dir, full).split(path.sep).join('/');
    if (entry.isFile()) out[rel] = await fs.readFile(full, 'utf8');
    else if (!entry.isDirectory()) out[rel] = `<${entry.isSymbolicLink() ? 'link' : 'special'}>`;
  }
  return out;
}

describe.each(walks)('LocalObjectStore (%s walk) in a bucket folder holding links, FIFOs and sockets', (walk) => {
  let root: string;
  let outside: string;
  let store: LocalObjectStore;
  let keeperBefore: Record<string, string>;
  let outsideBefore: Record<string, string>;
  const fifos = new Fifos();
  const servers: net.Server[] = [];

  const at = (bucket: string, key: string) => path.join(root, 'gs', bucket, ...key.split('/'));
  const place = async (bucket: string, key: string) => {
    await fs.mkdir(path.dirname(at(bucket, key)), { recursive: true });
    return at(bucket, key);
  };
  const link = async (target: string, key: string) => fs.symlink(target, await place(MALLORY, key));
  const mkfifo = async (key: string) => fifos.make(await place(MALLORY, key));
  const socket = async (key: string) => {
    const server = net.createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(at(MALLORY, key), resolve));
  };
  const keys = async (prefix = '') => {
    const found: string[] = [];
    for await (const o of listAll(store, MALLORY, prefix)) found.push(o.key);
    return found;
  };

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'cleanroom-hostile-'));
    outside = await fs.mkdtemp(path.join(os.tmpdir(), 'cleanroom-outside-'));
    await fs.writeFile(path.join(outside, 'secret'), 'outside secret');
    store = new LocalObjectStore(root, { folderWalk: walk });
    for (const [key, content] of Object.entries(KEEPER_FILES)) await store.put(KEEPER, key, text(content));
    await store.put(MALLORY, 'input/own/part-0.parquet', text('mallory data'));
    keeperBefore = await snapshotOf(path.join(root, 'gs', KEEPER));
    outsideBefore = await snapshotOf(outside);
  });

  afterEach(async () => {
    await fifos.releaseAll();
    for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
    // Nothing ever reached another bucket or a file outside the root.
    expect(await snapshotOf(path.join(root, 'gs', KEEPER))).toEqual(keeperBefore);
    expect(await snapshotOf(outside)).toEqual(outsideBefore);
    await fs.rm(root, { recursive: true, force: true });
    await fs.rm(outside, { recursive: true, force: true });
  });

  describe('reading: anything but a regular file through real folders is absent', () => {
    test.each([
      ['a relative link to another bucket\'s object', '../../../keeper-bucket/input/users/part-0.parquet'],
      ['an absolute link to another bucket\'s object', '<root>/gs/keeper-bucket/input/users/part-0.parquet'],
      ['a link to a file outside the root', '<outside>/secret'],
      ['a link to an object of the same bucket', '../input/own/part-0.parquet'],
      ['a dangling link', 'nothing-here'],
      ['a link to itself', 'data/self'],
    ])('%s: get says NotFound and list leaves it out', async (_what, target) => {
      const key = 'data/self';
      await link(target.replace('<root>', root).replace('<outside>', outside), key);
      await expect(store.get(MALLORY, key)).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.get(MALLORY, key, { maxBytes: 10 })).rejects.toBeInstanceOf(NotFoundError);
      expect(await keys()).toEqual(['input/own/part-0.parquet']);
      expect((await store.list(MALLORY, key)).objects).toEqual([]);
    });

    test.each([
      ['control/runs', '../../keeper-bucket/input/users', 'control/runs/part-0.parquet'],
      ['control', '<root>/gs/keeper-bucket/input/users', 'control/part-0.parquet'],
      ['deep/a/b/c', '../../../../../keeper-bucket/input', 'deep/a/b/c/users/part-0.parquet'],
      ['outside', '<outside>', 'outside/secret'],
    ])('a linked folder %s in the middle of a key is never traversed by get or list', async (folder, target, key) => {
      await link(target.replace('<root>', root).replace('<outside>', outside), folder);
      await expect(store.get(MALLORY, key)).rejects.toBeInstanceOf(NotFoundError);
      expect(await keys()).toEqual(['input/own/part-0.parquet']);
      expect((await store.list(MALLORY, `${folder}/`)).objects).toEqual([]);
      expect((await store.list(MALLORY, folder)).objects).toEqual([]);
    });

    test('the bucket folder itself as a link to another bucket is an empty bucket', async () => {
      await fs.rm(path.join(root, 'gs', MALLORY), { recursive: true });
      await fs.symlink(path.join(root, 'gs', KEEPER), path.join(root, 'gs', MALLORY));
      await expect(store.get(MALLORY, 'input/users/part-0.parquet')).rejects.toBeInstanceOf(NotFoundError);
      expect((await store.list(MALLORY, '')).objects).toEqual([]);
      await expect(store.put(MALLORY, 'input/users/part-0.parquet', text('forged'))).rejects.toBeInstanceOf(NotAnObjectError);
      await fs.rm(path.join(root, 'gs', MALLORY));
    });

    test('link loops (to ., .., each other, themselves) in a log folder: list ends, with the real files only', async () => {
      const log = 'control/events/_delta_log';
      await store.put(MALLORY, `${log}/00000000000000000000.json`, text('{}'));
      await link('.', `${log}/dot`);
      await link('..', `${log}/up`);
      await link('.', `${log}/dot2`);
      await link(`${log}/b`, `${log}/a`);
      await link(`${log}/a`, `${log}/b`);
      await link('00000000000000000001.json', `${log}/00000000000000000001.json`);
      await link('_delta_log', 'control/events/_delta_log/_delta_log');
      expect(await keys()).toEqual([`${log}/00000000000000000000.json`, 'input/own/part-0.parquet']);
      expect(await keys(`${log}/`)).toEqual([`${log}/00000000000000000000.json`]);
      await expect(store.get(MALLORY, `${log}/dot/00000000000000000000.json`)).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.get(MALLORY, `${log}/00000000000000000001.json`)).rejects.toBeInstanceOf(NotFoundError);
    });

    test('a FIFO is absent to get (at once, with no writer on the other end) and to list', async () => {
      await mkfifo('control/events/_delta_log/_last_checkpoint');
      await mkfifo('input/own/part-1.parquet');
      await expect(store.get(MALLORY, 'control/events/_delta_log/_last_checkpoint')).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.get(MALLORY, 'input/own/part-1.parquet', { maxBytes: 100 })).rejects.toBeInstanceOf(NotFoundError);
      expect(await keys()).toEqual(['input/own/part-0.parquet']);
    });

    test('a socket is absent to get and to list', async () => {
      await place(MALLORY, 'sock/s');
      await socket('sock/s');
      await expect(store.get(MALLORY, 'sock/s')).rejects.toBeInstanceOf(NotFoundError);
      expect(await keys()).toEqual(['input/own/part-0.parquet']);
    });

    test('a folder where an object is expected is absent', async () => {
      await fs.mkdir(await place(MALLORY, 'control/events/_delta_log/_last_checkpoint/inner'), { recursive: true });
      await expect(store.get(MALLORY, 'control/events/_delta_log/_last_checkpoint')).rejects.toBeInstanceOf(NotFoundError);
      expect(await keys('control/')).toEqual([]);
    });

    test('names no GCS object could have (invalid UTF-8, backslash, line break) are not listed', async () => {
      const dir = await place(MALLORY, 'odd/x');
      await fs.writeFile(Buffer.concat([Buffer.from(path.dirname(dir) + path.sep), Buffer.from([0x66, 0xff, 0x6f])]), 'bad utf-8');
      await fs.writeFile(path.join(path.dirname(dir), 'back\\slash'), 'x');
      await fs.writeFile(path.join(path.dirname(dir), 'line\nbreak'), 'x');
      await fs.writeFile(path.join(path.dirname(dir), 'fine'), 'x');
      await store.put(MALLORY, 'odd/real \uFFFD replacement character', text('valid UTF-8'));
      expect(await keys('odd/')).toEqual(['odd/fine', 'odd/real \uFFFD replacement character']);
      expect(str(await store.get(MALLORY, 'odd/real \uFFFD replacement character'))).toBe('valid UTF-8');
    });

    test('a hard link to a file outside the bucket is read as a regular file (documented), and a write replaces the name, never the file', async () => {
      const hard = await place(MALLORY, 'data/hard');
      await fs.link(path.join(outside, 'secret'), hard);
      // A hard link is a second name of the same bytes: only someone allowed to read them could make it.
      expect(str(await store.get(MALLORY, 'data/hard'))).toBe('outside secret');
      expect(await keys('data/')).toEqual(['data/hard']);
      await expect(store.createIfAbsent(MALLORY, 'data/hard', text('new'))).rejects.toBeInstanceOf(AlreadyExistsError);
      await store.put(MALLORY, 'data/hard', text('replaced'));
      expect(str(await store.get(MALLORY, 'data/hard'))).toBe('replaced');
      expect(await fs.readFile(path.join(outside, 'secret'), 'utf8')).toBe('outside secret');
      await fs.link(path.join(outside, 'secret'), at(MALLORY, 'data/hard2'));
      await store.delete(MALLORY, 'data/hard2');
      expect(await fs.readFile(path.join(outside, 'secret'), 'utf8')).toBe('outside secret');
    });
  });

  describe('writing: never through a link, never outside the bucket folder', () => {
    test.each([
      ['output/evil', '../../keeper-bucket', 'output/evil/input/users/part-0.parquet'],
      ['output/evil', '<root>/gs/keeper-bucket/input', 'output/evil/users/part-0.parquet'],
      ['control/runs', '../../keeper-bucket/input/users', 'control/runs/_delta_log/00000000000000000000.json'],
      ['control/runs', '../../keeper-bucket/input/users', 'control/runs/_delta_log/00000000000000000001.json'],
      ['output/out', '<outside>', 'output/out/new-file'],
      ['output/dangling', '../../keeper-bucket/not-yet', 'output/dangling/x'],
    ])('a linked folder %s -> %s refuses put and createIfAbsent of %s, naming it', async (folder, target, key) => {
      await link(target.replace('<root>', root).replace('<outside>', outside), folder);
      for (const write of [() => store.put(MALLORY, key, text('forged')), () => store.createIfAbsent(MALLORY, key, text('forged'))]) {
        const error = await write().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(NotAnObjectError);
        expect(String(error)).toContain(`cannot write gs://${MALLORY}/${key} in the local bucket folder: ${folder} is a symbolic link`);
      }
      await store.delete(MALLORY, key); // absent through a link: nothing to do, and nothing done
      await expect(fs.access(path.join(root, 'gs', KEEPER, 'not-yet'))).rejects.toThrow();
    });

    test('a key that is a link: put replaces the link itself, createIfAbsent refuses, delete removes the link only', async () => {
      await link('../../../keeper-bucket/input/users/part-0.parquet', 'data/users');
      await link('../../keeper-bucket/new-object', 'data/dangling');
      const refused = await store.createIfAbsent(MALLORY, 'data/users', text('forged')).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(NotAnObjectError);
      expect(String(refused)).toContain('data/users is a symbolic link');
      await expect(store.createIfAbsent(MALLORY, 'data/dangling', text('forged'))).rejects.toBeInstanceOf(NotAnObjectError);
      await store.put(MALLORY, 'data/users', text('own content'));
      expect(str(await store.get(MALLORY, 'data/users'))).toBe('own content');
      expect((await fs.lstat(at(MALLORY, 'data/users'))).isFile()).toBe(true);
      await store.delete(MALLORY, 'data/dangling');
      await expect(fs.lstat(at(MALLORY, 'data/dangling'))).rejects.toThrow();
      await expect(fs.access(path.join(root, 'gs', KEEPER, 'new-object'))).rejects.toThrow();
    });

    test('a FIFO at a key: put replaces it, createIfAbsent refuses naming it, delete removes it', async () => {
      await mkfifo('control/runs/_delta_log/_last_checkpoint');
      await mkfifo('control/runs/_delta_log/00000000000000000000.json');
      const refused = await store.createIfAbsent(MALLORY, 'control/runs/_delta_log/00000000000000000000.json', text('{}')).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(NotAnObjectError);
      expect(String(refused)).toContain('is a FIFO (named pipe)');
      await store.put(MALLORY, 'control/runs/_delta_log/_last_checkpoint', text('{"version":0}'));
      expect(str(await store.get(MALLORY, 'control/runs/_delta_log/_last_checkpoint'))).toBe('{"version":0}');
      await store.delete(MALLORY, 'control/runs/_delta_log/00000000000000000000.json');
      await store.createIfAbsent(MALLORY, 'control/runs/_delta_log/00000000000000000000.json', text('{}'));
    });

    test('the temp folder replaced by a link to another bucket stops writes, naming it', async () => {
      await fs.rm(at(MALLORY, LOCAL_TEMP_DIR), { recursive: true, force: true });
      await link('../keeper-bucket/input', LOCAL_TEMP_DIR);
      const error = await store.put(MALLORY, 'output/x', text('x')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotAnObjectError);
      expect(String(error)).toContain(`${LOCAL_TEMP_DIR} is a symbolic link`);
      await expect(store.createIfAbsent(MALLORY, 'output/y', text('y'))).rejects.toBeInstanceOf(NotAnObjectError);
    });

    test('a FIFO or a file where a folder of the key should be refuses the write', async () => {
      await mkfifo('output/pipe');
      await expect(store.put(MALLORY, 'output/pipe/x', text('x'))).rejects.toThrow(/output\/pipe is a FIFO/);
      await expect(store.put(MALLORY, 'input/own/part-0.parquet/x', text('x'))).rejects.toThrow(/an object and a folder would need the same path/);
    });
  });
});

describe('LocalObjectStore (descriptor walk): a folder swapped for a link while it is used', () => {
  const maybe = descriptorWalkAvailable() ? test : test.skip;

  maybe('reads and listings never see the other bucket, whatever the timing of the swaps', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'cleanroom-race-'));
    let stopSwapper = (): unknown => undefined;
    try {
      const store = new LocalObjectStore(root, { folderWalk: 'descriptors' });
      await store.put(KEEPER, 'input/users/part-0.parquet', text('keeper users'));
      await store.put(MALLORY, 'control/real/part-0.parquet', text('mallory'));
      const dir = path.join(root, 'gs', MALLORY, 'control');
      await fs.symlink(path.join(root, 'gs', KEEPER, 'input', 'users'), path.join(dir, 'link'));
      // Another process keeps putting the real folder and the link in turn at control/runs.
      const swaps = 20_000;
      const swapper = spawn(process.execPath, [
        '-e',
        `const fs = require('fs'); const d = ${JSON.stringify(dir)};
         const mv = (a, b) => { try { fs.renameSync(d + '/' + a, d + '/' + b); } catch {} };
         for (let i = 0; i < ${swaps}; i++) { mv('real', 'runs'); mv('runs', 'real'); mv('link', 'runs'); mv('runs', 'link'); }`,
      ]);
      const done = new Promise((resolve) => swapper.on('exit', resolve));
      stopSwapper = () => swapper.kill();
      let running = true;
      void done.then(() => (running = false));
      const seen = new Set<string>();
      let reads = 0;
      while (running || reads < 200) {
        reads++;
        const got = await store.get(MALLORY, 'control/runs/part-0.parquet').then(str, (e: unknown) => (e instanceof NotFoundError ? 'absent' : String(e)));
        seen.add(got);
        for (const o of (await store.list(MALLORY, 'control/')).objects) seen.add(o.key);
      }
      await done;
      // Only mallory's own bytes and keys, or nothing: never the keeper's.
      expect([...seen].filter((s) => !['mallory', 'absent', 'control/runs/part-0.parquet', 'control/real/part-0.parquet'].includes(s))).toEqual([]);
    } finally {
      stopSwapper();
      await fs.rm(root, { recursive: true, force: true });
    }
  }, 120_000);
});
