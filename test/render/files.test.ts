import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderSeedScript } from "../../components/render/files";

describe("renderSeedScript", () => {
    const files = [
        { name: "server.key", owner: "999:999", mode: "0600" },
        { name: "ca.crt", owner: "999:999", mode: "0444" },
    ];

    test("sets mode before owner (root without CAP_FOWNER cannot chmod another uid's file)", () => {
        const lines = renderSeedScript({ dir: "/files", files }).split("\n");
        expect(lines.indexOf("chmod 0600 server.key")).toBeLessThan(lines.indexOf("chown 999:999 server.key"));
        expect(lines).toContain("chown 999:999 ca.crt");
        expect(lines[0]).toBe("#!/bin/sh");
        expect(lines[1]).toBe("set -eu");
    });

    test("renders the same text whatever the order of the files", () => {
        expect(renderSeedScript({ dir: "/files", files })).toBe(renderSeedScript({ dir: "/files", files: [...files].reverse() }));
    });

    test("refuses names with a path, non-numeric owners, bad modes and twice-declared files", () => {
        expect(() => renderSeedScript({ dir: "/files", files: [{ name: "../etc/passwd", owner: "0:0", mode: "0400" }] })).toThrow(/without '\/'/);
        expect(() => renderSeedScript({ dir: "/files", files: [{ name: "k", owner: "node", mode: "0400" }] })).toThrow(/numeric uid:gid/);
        expect(() => renderSeedScript({ dir: "/files", files: [{ name: "k", owner: "1:1", mode: "777" }] })).toThrow(/octal/);
        expect(() => renderSeedScript({ dir: "/files", files: [files[0], files[0]] })).toThrow(/declared twice/);
        expect(() => renderSeedScript({ dir: "files; rm -rf /", files })).toThrow(/absolute path/);
    });

    test("run by the real sh, it leaves exactly the declared files with their modes", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seed-"));
        try {
            for (const f of ["server.key", "ca.crt", "old.key", ".hidden"]) fs.writeFileSync(path.join(dir, f), f);
            const uid = String(process.getuid!());
            const gid = String(process.getgid!());
            const script = renderSeedScript({ dir, files: files.map((f) => ({ ...f, owner: `${uid}:${gid}` })) });
            execFileSync("sh", ["-c", script]);
            expect(fs.readdirSync(dir).sort()).toEqual(["ca.crt", "server.key"]);
            expect((fs.statSync(path.join(dir, "server.key")).mode & 0o777).toString(8)).toBe("600");
            expect((fs.statSync(path.join(dir, "ca.crt")).mode & 0o777).toString(8)).toBe("444");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
