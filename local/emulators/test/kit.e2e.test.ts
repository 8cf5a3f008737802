import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerClient } from '@azure/storage-blob';
import { listBlobNames, spawnNodeUntilReady, startAzurite, stopChild, type RunningAzurite } from '../src';

// Azurite starts as a child process: seconds on a loaded machine.
jest.setTimeout(60_000);

describe('spawnNodeUntilReady and stopChild', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kit-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('resolves with the readiness match, and stops the child', async () => {
    const script = join(dir, 'ready.js');
    await writeFile(
      script,
      "console.log('warming up'); setTimeout(() => console.log('listening on 4242'), 50); setInterval(() => {}, 1000);",
    );
    const { child, ready } = await spawnNodeUntilReady('ready', script, [], /listening on (\d+)/);
    expect(ready[1]).toBe('4242');
    await stopChild(child, 2_000);
    expect(child.signalCode ?? child.exitCode).not.toBeNull();
  });

  it('rejects with the child’s own last output when it exits before it is ready', async () => {
    const script = join(dir, 'fails.js');
    await writeFile(script, "console.error('port 4242 in use'); process.exit(3);");
    await expect(spawnNodeUntilReady('failing', script, [], /listening/)).rejects.toThrow(
      /failing exited \(code 3\) before it was ready; its last output:\n\s+port 4242 in use/,
    );
  });

  it('rejects and kills a child that never gets ready', async () => {
    const script = join(dir, 'silent.js');
    await writeFile(script, 'setInterval(() => {}, 1000);');
    await expect(spawnNodeUntilReady('silent', script, [], /listening/, { timeoutMs: 300 })).rejects.toThrow(
      'silent did not become ready within 300 ms',
    );
  });
});

describe('listBlobNames (Azurite)', () => {
  let azurite: RunningAzurite;
  let container: ContainerClient;
  beforeAll(async () => {
    azurite = await startAzurite();
    container = new ContainerClient(azurite.connectionString, 'kit');
    await container.create();
    for (const name of ['b/2.json', 'a/1.json', 'b/1.json']) await container.uploadBlockBlob(name, 'x', 1);
  });
  afterAll(() => azurite?.stop());

  it('lists every name sorted, or those under a prefix', async () => {
    expect(await listBlobNames(container)).toEqual(['a/1.json', 'b/1.json', 'b/2.json']);
    expect(await listBlobNames(container, 'b/')).toEqual(['b/1.json', 'b/2.json']);
  });
});
