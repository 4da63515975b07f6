/** One Dockerfile instruction: keyword (upper case) and its raw argument text. */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** A build stage: its FROM image (ARGs resolved), optional name, and its instructions. */
export interface Stage {
  readonly image: string;
  readonly name?: string;
  readonly instructions: readonly Instruction[];
}

/**
 * Splits a Dockerfile into stages, enough for tests to read what the image does: comments
 * and blank lines dropped, `\` continuations joined, `${ARG}` in FROM resolved from the
 * global ARG defaults. Not a full BuildKit parser (no heredocs, no escape directive).
 */
export function parseDockerfile(text: string): Stage[] {
  const instructions: Instruction[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (pending === '' && /^\s*(#|$)/.test(line)) continue;
    if (/^\s*#/.test(line)) continue; // a comment inside a continued instruction
    const continued = /\\\s*$/.test(line);
    pending += (pending ? ' ' : '') + line.replace(/\\\s*$/, '').trim();
    if (continued) continue;
    const m = /^(\S+)\s*(.*)$/.exec(pending)!;
    instructions.push({ keyword: m[1]!.toUpperCase(), args: m[2]! });
    pending = '';
  }
  const globalArgs = new Map<string, string>();
  const stages: { image: string; name?: string; instructions: Instruction[] }[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args)!;
      const image = m[1]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string, b: string) => globalArgs.get(a ?? b) ?? '');
      stages.push({ image, name: m[2], instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword === 'ARG') {
        const [name, value] = ins.args.split('=', 2);
        globalArgs.set(name!, value ?? '');
      }
    } else {
      stages.at(-1)!.instructions.push(ins);
    }
  }
  return stages;
}

/** The JSON (exec) form of ENTRYPOINT/CMD; throws on the shell form, which would put sh between tini and node. */
export function execForm(ins: Instruction | undefined): string[] {
  if (ins === undefined) return [];
  const value: unknown = JSON.parse(ins.args);
  if (!Array.isArray(value)) throw new Error(`${ins.keyword} must use the exec (JSON) form`);
  return value as string[];
}

/** The last instruction of `keyword` in a stage (Docker uses the last one). */
export function last(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1);
}
