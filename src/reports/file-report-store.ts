// Reports as Markdown files, one per incident, in REPORTS_DIR.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Incident ids become file names: only the shape the store hands out (INC-0001) is accepted. */
const ID = /^INC-\d{4,9}$/;

export class FileReportStore {
  constructor(private readonly dir: string) {}

  pathOf(id: string): string {
    if (!ID.test(id)) throw new Error(`not an incident id: ${id}`);
    return join(this.dir, `${id}.md`);
  }

  /** Written to a temporary name of its own and renamed, so a reader never sees half a report and
   * two writers of one report never share a temporary file (one shared name raced: ENOENT on rename). */
  async save(id: string, markdown: string): Promise<string> {
    const path = this.pathOf(id);
    await mkdir(this.dir, { recursive: true });
    // Same folder, so the rename is atomic; `wx`: never write into a name another writer holds.
    const tmp = `${path}.${process.pid}.${randomBytes(8).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, markdown, { encoding: 'utf8', flag: 'wx' });
      await rename(tmp, path);
    } catch (e) {
      // A failed write must not leave its temporary file to pile up in REPORTS_DIR.
      await rm(tmp, { force: true }).catch(() => undefined);
      throw e;
    }
    return path;
  }

  async load(id: string): Promise<string | undefined> {
    try {
      return await readFile(this.pathOf(id), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }
}
