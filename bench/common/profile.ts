/**
 * A summary of a V8 CPU profile (`node --cpu-prof`, the .cpuprofile JSON) of the server's main thread: self time
 * per area of the code and the functions with the most self time, as markdown tables.
 *
 * Areas: postroom's own folders (`src/smtp/server`, `src/store/sqlite` …), each npm package, Node's internals
 * by module (`node:internal/streams` …), native code that V8 attributes to no script, and V8's own entries
 * (`(garbage collector)`, `(program)`). A second table charges each sample to the innermost postroom function on
 * its stack, so the time Node and npm packages spend on postroom's behalf lands on the postroom code that asked
 * for it (samples with no postroom frame, such as socket reads started by libuv, keep their area). Idle time is
 * left out of every share.
 * Limits: the profile sees JavaScript on the main thread only: the libuv pool's fsyncs and file I/O are not in it
 * (the benchmark prints the CPU of each thread from /proc next to it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The area a script URL belongs to. */
export function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /\/dist\/((?:src|bin)\/[^/]+(?:\/(?:server|client|sqlite|memory|queue|delivery))?)\//.exec(url);
  if (own) return own[1]!;
  const node = /^node:(internal\/[^/]+|[^/]+)/.exec(url);
  if (node) return `node:${node[1]!.replace(/\.js$/, '')}`;
  return url.replace(/^file:\/\//, '');
}

/** Self time (ms) per node id. */
function selfTimes(p: Profile): Map<number, number> {
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  return self;
}

const maps = new Map<string, SourceMap | null>();

/** The TypeScript file and line of a frame in dist/ (through tsc's source map), else its script and line. */
function where(f: ProfileNode['callFrame']): string {
  if (f.url.startsWith('file://') && f.url.includes('/dist/')) {
    let map = maps.get(f.url);
    if (map === undefined) {
      const js = fileURLToPath(f.url);
      map = existsSync(`${js}.map`) ? new SourceMap(JSON.parse(readFileSync(`${js}.map`, 'utf8'))) : null;
      maps.set(f.url, map);
    }
    const e = map?.findEntry(f.lineNumber, f.columnNumber) as { originalSource?: string; originalLine?: number } | undefined;
    if (e?.originalSource && e.originalLine !== undefined) {
      return `${e.originalSource.replace(/^.*?\/(src|bench|test)\//, '$1/')}:${e.originalLine + 1}`;
    }
  }
  const file = f.url.replace(/^.*\/(dist|node_modules)\//, '').replace(/^file:\/\//, '');
  return file ? `${file}:${f.lineNumber + 1}` : '';
}

/** `name file:line` of a call frame. */
function label(f: ProfileNode['callFrame']): string {
  return `${f.functionName || '(anonymous)'} ${where(f)}`.trim();
}

/** Markdown tables: self time by area, time by innermost postroom function, and the `top` functions by self time. */
export function summarizeProfile(file: string, top = 12): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const self = selfTimes(p);
  const parent = new Map<number, ProfileNode>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const own = (n: ProfileNode) => n.callFrame.url.includes('/dist/src/');
  const ownerCache = new Map<number, ProfileNode | null>();
  const owner = (n: ProfileNode): ProfileNode | null => {
    const chain: ProfileNode[] = [];
    let found: ProfileNode | null | undefined;
    for (let m: ProfileNode | undefined = n; m; m = parent.get(m.id)) {
      found = ownerCache.get(m.id);
      if (found !== undefined) break;
      chain.push(m);
      if (own(m)) {
        found = m;
        break;
      }
    }
    for (const m of chain) ownerCache.set(m.id, found ?? null);
    return found ?? null;
  };
  const add = <V>(map: Map<string, V>, key: string, make: () => V, fn: (v: V) => void) => {
    let v = map.get(key);
    if (v === undefined) map.set(key, (v = make()));
    fn(v);
  };
  const byArea = new Map<string, { ms: number }>();
  const byOwner = new Map<string, { ms: number }>();
  const byFunction = new Map<string, { ms: number; area: string; from: Map<string, number> }>();
  let busy = 0;
  for (const n of p.nodes) {
    const ms = self.get(n.id) ?? 0;
    const { functionName, url } = n.callFrame;
    if (ms === 0 || functionName === '(idle)') continue;
    busy += ms;
    const area = areaOf(url, functionName);
    add(byArea, area, () => ({ ms: 0 }), (v) => (v.ms += ms));
    const o = owner(n);
    add(byOwner, o ? label(o.callFrame) : `(no postroom frame) ${area}`, () => ({ ms: 0 }), (v) => (v.ms += ms));
    add(byFunction, label(n.callFrame), () => ({ ms: 0, area, from: new Map<string, number>() }), (v) => {
      v.ms += ms;
      const from = o ? label(o.callFrame) : '—';
      v.from.set(from, (v.from.get(from) ?? 0) + ms);
    });
  }
  const pct = (ms: number) => `${((ms / busy) * 100).toFixed(1)} %`;
  const code = (s: string) => `\`${s.replace(/\|/g, '\\|')}\``;
  const sorted = <V extends { ms: number }>(m: Map<string, V>, n: number) => [...m].sort((a, b) => b[1].ms - a[1].ms).slice(0, n);
  const lines = [`Main thread, not idle: ${(busy / 1000).toFixed(2)} s of samples.`, '', '| area (self time) | s | share |', '|---|---:|---:|'];
  for (const [area, v] of sorted(byArea, 10)) lines.push(`| ${area} | ${(v.ms / 1000).toFixed(2)} | ${pct(v.ms)} |`);
  lines.push('', '| innermost postroom function (with what it calls in Node and npm packages) | s | share |', '|---|---:|---:|');
  for (const [key, v] of sorted(byOwner, top)) lines.push(`| ${code(key)} | ${(v.ms / 1000).toFixed(2)} | ${pct(v.ms)} |`);
  lines.push('', '| function (self time) | area | mostly on behalf of | s | share |', '|---|---|---|---:|---:|');
  for (const [key, v] of sorted(byFunction, top)) {
    const from = [...v.from].sort((a, b) => b[1] - a[1])[0]![0];
    lines.push(`| ${code(key)} | ${v.area} | ${from === '—' ? from : code(from)} | ${(v.ms / 1000).toFixed(2)} | ${pct(v.ms)} |`);
  }
  return lines.join('\n');
}
