/**
 * Prints the top self-time functions of the V8 CPU profiles in a directory, e.g. after
 * `node bench/dataplane.ts --targets pier-1 --variants 100B --rounds 1 --cpu-prof DIR`, and
 * with `--layers` the busy time per layer (Pier's code, undici, node:http, write syscalls...).
 *
 * Run: `node bench/profile-top.ts DIR [LIMIT] [--layers]`. With several profiles (primary and
 * workers), pass the file of one process by putting only it in DIR, or read the sum.
 */
import { readProfiles, selfTimeByLayer, topSelfTime } from './lib/cpu-profile-top.ts';

const layers = process.argv.includes('--layers');
const [dir, limit] = process.argv.slice(2).filter((a) => a !== '--layers');
if (!dir) {
  console.error('usage: node bench/profile-top.ts DIR [LIMIT] [--layers]');
  process.exit(2);
}
const profiles = readProfiles(dir);
if (profiles.length === 0) {
  console.error(`no .cpuprofile files in ${dir}`);
  process.exit(1);
}
if (layers) {
  console.log('| layer | self ms | share of busy time |\n|---|--:|--:|');
  for (const l of selfTimeByLayer(profiles)) console.log(`| ${l.layer} | ${l.selfMs.toFixed(0)} | ${(l.share * 100).toFixed(1)}% |`);
} else {
  console.log(`| # | function | location | self ms | share |\n|--:|---|---|--:|--:|`);
  topSelfTime(profiles, Number(limit ?? 10)).forEach((e, i) =>
    console.log(`| ${i + 1} | \`${e.name}\` | ${e.location} | ${e.selfMs.toFixed(0)} | ${(e.share * 100).toFixed(1)}% |`));
}
