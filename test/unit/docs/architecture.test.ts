/**
 * docs/ARCHITECTURE.md is the architecture document that code comments cite. These checks keep the
 * citations and the document's own paths honest as the code moves.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const DOC = 'docs/ARCHITECTURE.md';
const doc = readFileSync(join(ROOT, DOC), 'utf8');
const headings = new Set([...doc.matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1].trim()));

/** Source files (tracked or new) that mention the document. */
function citingFiles(): string[] {
  const out = execFileSync('git', ['grep', '-l', '--untracked', DOC, '--', '*.ts', '*.js', '*.py', '*.sh'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return out.split('\n').filter((f) => f && !f.startsWith('test/unit/docs/'));
}

describe('docs/ARCHITECTURE.md', () => {
  it('is cited by the code it describes', () => {
    const files = citingFiles();
    expect(files).toEqual(
      expect.arrayContaining(['activities/publish/ledger.ts', 'activities/publish/channel-table.ts']),
    );
  });

  it('has every section a code comment cites', () => {
    const missing: string[] = [];
    for (const file of citingFiles()) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const m of text.matchAll(/docs\/ARCHITECTURE\.md,\s*\*?\s*"([^"]+)"/g)) {
        if (!headings.has(m[1])) missing.push(`${file}: "${m[1]}"`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('names only paths that exist in the repository', () => {
    const paths = [
      ...doc.matchAll(
        /`((?:activities|workflows|worker|services|config|cli|studio|models|test|bench|docs)\/[^`<>*\s]*)`/g,
      ),
    ]
      .map((m) => m[1].replace(/\/$/, ''))
      .filter((p) => !p.includes('<'));
    expect(paths.length).toBeGreaterThan(10);
    expect(paths.filter((p) => !existsSync(join(ROOT, p)))).toEqual([]);
  });

  it('lists every stage a post can be in', () => {
    const post = readFileSync(join(ROOT, 'workflows/post.ts'), 'utf8');
    const union = /export type PostStage =([^;]+);/.exec(post)![1];
    const stages = [...union.matchAll(/'([a-z-]+)'/g)].map((m) => m[1]);
    const table = doc.slice(doc.indexOf('## Post stages'));
    expect(stages.filter((s) => !table.includes(`| \`${s}\` |`))).toEqual([]);
  });
});
