/**
 * The script a seeding container runs to put a service's files in place: the docker provider
 * copies uploads as root-owned files, and a service that runs as its own uid cannot read a
 * root-owned 0400 key. The script gives each file its owner and mode and removes files that an
 * earlier file set left behind, so the directory holds exactly the declared set.
 */

export interface SeededFile {
    /** File name inside the directory: letters, digits, '.', '_' and '-', no path separators. */
    name: string;
    /** Numeric "uid:gid" of the process that reads the file. */
    owner: string;
    /** Octal mode, e.g. "0400". */
    mode: string;
}

export interface SeedScriptInput {
    /** Absolute directory that holds the files (the mounted volume). */
    dir: string;
    files: SeededFile[];
}

const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const OWNER = /^\d{1,10}:\d{1,10}$/;
const MODE = /^0[0-7]{3}$/;

/** Checks a file set before anything renders it; errors name the field and what is allowed. */
export function checkSeededFiles(files: SeededFile[]): void {
    const seen = new Set<string>();
    for (const f of files) {
        if (!FILE_NAME.test(f.name)) throw new Error(`file name ${JSON.stringify(f.name)}: must be letters, digits, '.', '_' or '-', without '/'`);
        if (!OWNER.test(f.owner)) throw new Error(`file ${f.name}: owner must be numeric uid:gid such as 1000:1000, got ${JSON.stringify(f.owner)}`);
        if (!MODE.test(f.mode)) throw new Error(`file ${f.name}: mode must be octal such as 0400, got ${JSON.stringify(f.mode)}`);
        if (seen.has(f.name)) throw new Error(`file ${f.name}: declared twice`);
        seen.add(f.name);
    }
}

export function renderSeedScript(input: SeedScriptInput): string {
    if (!input.dir.startsWith("/") || /[^A-Za-z0-9/._-]/.test(input.dir)) {
        throw new Error(`seed dir ${JSON.stringify(input.dir)}: must be an absolute path of letters, digits, '/', '.', '_' or '-'`);
    }
    checkSeededFiles(input.files);
    const files = [...input.files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const keep = files.map((f) => f.name).join("|");
    return [
        "#!/bin/sh",
        "set -eu",
        `cd ${input.dir}`,
        // Leftovers of an earlier file set (say, a client key after client certificates were turned off).
        "for f in * .[!.]*; do",
        '    [ -e "$f" ] || continue',
        `    case "$f" in ${keep === "" ? "''" : keep}) ;; *) rm -rf -- "$f" ;; esac`,
        "done",
        // Mode first: once a file belongs to another uid, root needs CAP_FOWNER to change it.
        ...files.flatMap((f) => [`chmod ${f.mode} ${f.name}`, `chown ${f.owner} ${f.name}`]),
        "",
    ].join("\n");
}
