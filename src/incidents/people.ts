// Names are a nicety of the report, never a condition of filing it: a directory that fails, answers
// nonsense or hangs costs at most the time bound, and the report then shows bare ids.
import type { Logger, PeopleDirectory } from './ports.js';

/** How long a report waits for names, all lookups together, before it is built with what it has. */
export const NAMES_TIMEOUT_MS = 2_000;

/**
 * A directory whose source is set later: the reports are built before the edge that knows the
 * people exists. Until then, and with no edge at all, nobody has a name.
 */
export class LateBoundPeople implements PeopleDirectory {
  private target: PeopleDirectory | undefined;

  bind(target: PeopleDirectory): void {
    this.target = target;
  }

  nameOf(userId: string): Promise<string | undefined> {
    return this.target ? this.target.nameOf(userId) : Promise.resolve(undefined);
  }
}

/** A failure as it may be logged: a code or a class name, never a message (it may quote a person). */
const reasonOf = (e: unknown): string => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : e instanceof Error ? e.name : typeof e;
};

/**
 * The names of `ids` that the directory gives within `timeoutMs`; ids it does not know, fails on or
 * is too slow for are left out. Never rejects.
 */
export async function resolveNames(
  ids: readonly string[],
  directory: PeopleDirectory | undefined,
  o: { timeoutMs: number; incident: string; log?: Logger | undefined },
): Promise<Record<string, string>> {
  if (!directory || ids.length === 0) return {};
  const names: Record<string, string> = {};
  const failed: string[] = [];
  const lookups = ids.map(async (id) => {
    try {
      const name = await directory.nameOf(id);
      if (typeof name === 'string' && name.trim() !== '') names[id] = name.trim();
    } catch (e) {
      failed.push(reasonOf(e));
    }
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<true>((resolve) => {
    timer = setTimeout(() => resolve(true), o.timeoutMs);
  });
  const timedOut = await Promise.race([Promise.all(lookups).then(() => false), late]);
  clearTimeout(timer);
  // A copy: lookups that answer after the bound must not change a report already being built.
  const got = { ...names };
  if (timedOut || failed.length > 0)
    o.log?.warn(
      {
        incident: o.incident,
        unnamed: ids.length - Object.keys(got).length,
        of: ids.length,
        ...(timedOut ? { timedOutMs: o.timeoutMs } : {}),
        ...(failed.length > 0 ? { errors: [...new Set(failed)] } : {}),
      },
      'people could not all be named: the report shows their ids',
    );
  return got;
}
