import { parseCommandLine, type PierConfig } from '../../src/config.ts';

/** `pier serve ARGS` with ENV, parsed; the config (fails the test on `help`). */
export function serve(args: readonly string[], env: NodeJS.ProcessEnv = {}): PierConfig {
  const result = parseCommandLine(['serve', ...args], env);
  if (result.command !== 'serve') throw new Error('expected serve');
  return result.config;
}
