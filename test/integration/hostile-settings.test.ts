import * as fs from "fs";
import * as path from "path";
import { ConfigError, parseSettings, pick, PROXY_KEYS, SETTING_KEYS, StackSettings } from "../../components/config";
import { renderNginxConf } from "../../components/render/nginx";
import { issueLeaf, makeCa } from "../support/certs";
import { nginxVersion } from "./harness/nginx";
import { run, tempDir } from "./harness/process";
import { describeIntegration } from "./harness/requirements";

/** Values that break config files, shells and parsers, or are just too long. */
const HOSTILE = [
    "a\nb",
    "a\r\nadd_header X-Evil 1;",
    "a;b",
    "a { b }",
    "}",
    'a"b',
    "a'b",
    "a$b",
    "${jndi:x}",
    "a\\b",
    "a\0b",
    "a\tb",
    "\u00e9t\u00e9",
    "x".repeat(5000),
    " ",
    "-1",
    "1e3",
    "0x10",
];

describeIntegration("every setting under hostile values: a clear error naming the key, or a config the real nginx accepts", () => {
    const dir = tempDir("hostile");
    const ca = makeCa(dir);
    const leaf = issueLeaf(dir, "edge", ca, { commonName: "localhost", dnsNames: ["localhost"], usage: "server" });
    const html = path.join(dir, "html");
    fs.mkdirSync(html);
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** nginx -t on the stack's nginx.conf for these settings (only paths differ from the container's). */
    function nginxAccepts(s: StackSettings, name: string): { ok: boolean; stderr: string } {
        const conf = renderNginxConf({
            ...pick(s, PROXY_KEYS),
            nginxVersion: nginxVersion(),
            httpPort: 8080,
            httpsPort: 8443,
            publicHttpsPort: s.httpsPort,
            listenAddress: "127.0.0.1",
            certificatePath: leaf.certPath,
            keyPath: leaf.keyPath,
            upstreams: ["127.0.0.1:3000"],
            staticRoot: html,
            acmeRoot: s.acmeDir ? html : undefined,
            mimeTypesPath: "/etc/nginx/mime.types",
            accessLogPath: path.join(dir, "access.log"),
            errorLogPath: path.join(dir, "error.log"),
            pidPath: path.join(dir, "nginx.pid"),
            tempDir: dir,
            user: "www-data",
        });
        const confPath = path.join(dir, `${name}.conf`);
        fs.writeFileSync(confPath, conf);
        const r = run("nginx", ["-t", "-c", confPath]);
        return { ok: r.code === 0, stderr: r.stderr };
    }

    /**
     * Keys that reach no rendered file: a value they accept must go only where it cannot break
     * anything. Any other key outside the proxy's must refuse every hostile value.
     */
    const FILELESS_FREE_TEXT: Record<string, string> = {
        certRotation: "only a replacement trigger on the leaf keys: any text re-issues them",
        jwtSecret: "written as a file the API reads whole as the HMAC key: any text of 32 or more characters is a key",
    };

    test.each(SETTING_KEYS.map((k) => [k]))("%s", (key) => {
        const outcomes: string[] = [];
        HOSTILE.forEach((value, i) => {
            let settings: StackSettings | undefined;
            try {
                settings = parseSettings({ [key]: value }, "dev");
            } catch (e) {
                expect(e).toBeInstanceOf(ConfigError);
                const err = e as ConfigError;
                // The first problem names this key, and says what is allowed.
                expect([value.slice(0, 20), err.issues[0].key]).toEqual([value.slice(0, 20), key]);
                expect(err.message).toMatch(new RegExp(`^config nestflux:${key}: (must|is|requires) `));
                outcomes.push("refused");
                return;
            }
            // A blank value reads as unset: the default, which is not hostile.
            if (!(PROXY_KEYS as readonly string[]).includes(key) && value.trim() !== "") {
                // Not rendered into nginx.conf: accepted only where no file or program parses it.
                expect([key, FILELESS_FREE_TEXT[key] !== undefined]).toEqual([key, true]);
            }
            const verdict = nginxAccepts(settings, `${key}-${i}`);
            expect([key, JSON.stringify(value).slice(0, 40), verdict.ok ? "" : verdict.stderr]).toEqual([key, JSON.stringify(value).slice(0, 40), ""]);
            outcomes.push("accepted");
        });
        expect(outcomes).toHaveLength(HOSTILE.length);
    });
});
