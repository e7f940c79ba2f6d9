import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPolicies } from './load-policies.ts';

const SHIPPED = fileURLToPath(new URL('../../../../policies/', import.meta.url));

describe('loadPolicies on hostile files', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports each hostile file as a start-up problem naming it, and still loads the good ones', async () => {
    dir = mkdtempSync(join(tmpdir(), 'fs-policies-'));
    copyFileSync(join(SHIPPED, 'standard.yaml'), join(dir, 'standard.yaml'));
    writeFileSync(join(dir, 'flow.yaml'), '['.repeat(100_000));
    writeFileSync(join(dir, 'flow2.yaml'), '['.repeat(100_000));
    writeFileSync(join(dir, 'block.yaml'), `${'- '.repeat(100_000)}x`);
    writeFileSync(
      join(dir, 'lol.yaml'),
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' +
        Array.from(
          { length: 9 },
          (_, i) =>
            `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
              .fill(`*${String.fromCharCode(97 + i)}`)
              .join(',')}]`,
        ).join('\n'),
    );
    writeFileSync(join(dir, 'tag.yaml'), 'name: tag\nsteps: !!python/object:os.system [1]\n');
    writeFileSync(join(dir, 'bytes.yaml'), Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xff]));
    const { policies, problems } = await loadPolicies(dir);
    expect([...policies.keys()]).toEqual(['standard']);
    expect(problems).toEqual([
      expect.stringMatching(
        /^block\.yaml: invalid YAML: line 1, column \d+: the document nests deeper than 32 levels \(TOO_DEEP\)$/,
      ),
      'bytes.yaml: invalid YAML: the document is not valid UTF-8 (INVALID_UTF8)',
      expect.stringMatching(/^flow\.yaml: invalid YAML: .*TOO_DEEP/),
      expect.stringMatching(/^flow2\.yaml: invalid YAML: .*TOO_DEEP/),
      expect.stringMatching(
        /^lol\.yaml: invalid YAML: line \d+, column \d+: the document expands to more than 256 KiB as JSON .*\(ALIAS_EXPANSION\)$/,
      ),
      expect.stringMatching(
        /^tag\.yaml: invalid YAML: line 2, column \d+: the tag !!python\/object:os\.system is not supported/,
      ),
    ]);
  });
});
