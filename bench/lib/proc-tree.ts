/**
 * CPU time and memory of a process and all its descendants, read from /proc. A proxy's cost is
 * the sum over its processes (nginx master + worker, Pier primary + workers), and reading the
 * kernel's per-process counters keeps the figure honest on a shared machine: other processes
 * running on the same core do not inflate it.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc/PID/stat (`getconf CLK_TCK`, 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  /** utime + stime, in seconds. */
  readonly cpuSeconds: number;
}

/** One process of a tree with its resident memory. */
export interface ProcessMemory {
  readonly pid: number;
  readonly comm: string;
  readonly rssBytes: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // exited between readdir and read
  }
  // comm may contain spaces and parentheses: the fields that follow start after the last ')'.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state) of proc(5): ppid is field 4, utime 14, stime 15.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { pid, ppid: Number(fields[1]), comm, cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND };
}

function allStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) stats.push(stat);
  }
  return stats;
}

function treeOf(rootPid: number): ProcStat[] {
  const stats = allStats();
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const root = stats.find((s) => s.pid === rootPid);
  if (!root) return [];
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!.pid) ?? []));
  return tree;
}

/** Seconds of CPU (user + system) used so far by `rootPid` and its live descendants. */
export function treeCpuSeconds(rootPid: number): number {
  return treeOf(rootPid).reduce((sum, s) => sum + s.cpuSeconds, 0);
}

/** Resident memory of each process of the tree rooted at `rootPid`. */
export function treeMemory(rootPid: number): ProcessMemory[] {
  return treeOf(rootPid).map((s) => ({ pid: s.pid, comm: s.comm, rssBytes: readRss(s.pid) }));
}

function readRss(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) of each live process of the tree rooted at `rootPid`. */
export function treeCpuByProcess(rootPid: number): { readonly pid: number; readonly comm: string; readonly cpuSeconds: number }[] {
  return treeOf(rootPid).map((s) => ({ pid: s.pid, comm: s.comm, cpuSeconds: s.cpuSeconds }));
}
