/**
 * The module rules of STYLE.md §2, checked on the source: imports that enter another folder go through that
 * folder's index.ts (no deep imports), and no runtime import cycle exists between files.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../src/testing/peers.js';

const src = path.join(repoRoot, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts') ? [p] : [];
  });
}

interface Import {
  target: string;
  typeOnly: boolean;
  spec: string;
}

function imports(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const out: Import[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]/gm;
  for (let m; (m = re.exec(text)); ) {
    const spec = m[3]!;
    const target = path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
    out.push({ target, typeOnly: m[2] !== undefined, spec });
  }
  return out;
}

const all = files(src);

test('source files import other folders only through their index.ts', () => {
  const bad: string[] = [];
  for (const file of all) {
    if (file.includes(`${path.sep}testing${path.sep}`)) continue;
    for (const imp of imports(file)) {
      const fromDir = path.dirname(file);
      const toDir = path.dirname(imp.target);
      // Entering a folder that is not the importer's own folder nor one of its ancestors is a deep import.
      const entersOther = toDir !== fromDir && !fromDir.startsWith(toDir + path.sep);
      if (entersOther && path.basename(imp.target) !== 'index.ts') bad.push(`${path.relative(src, file)} imports ${imp.spec}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('source files have no runtime import cycles', () => {
  const graph = new Map(all.map((f) => [f, imports(f).filter((i) => !i.typeOnly).map((i) => i.target)]));
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, stack: string[]): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'visiting') {
      cycles.push([...stack.slice(stack.indexOf(f)), f].map((x) => path.relative(src, x)).join(' → '));
      return;
    }
    state.set(f, 'visiting');
    for (const t of graph.get(f) ?? []) visit(t, [...stack, f]);
    state.set(f, 'done');
  };
  for (const f of all) visit(f, []);
  assert.ok(all.length > 10);
  assert.deepEqual(cycles, []);
});
