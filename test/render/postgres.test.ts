import { renderPgHba, renderPostgresConf, renderPostgresEntrypoint } from "../../components/render/postgres";

const confInput = {
    port: 5432,
    listenAddresses: "*",
    certificatePath: "/tls/server.crt",
    keyPath: "/tls/server.key",
    caPath: "/tls/ca.crt",
    hbaPath: "/etc/nestflux/pg_hba.conf",
    tlsMinVersion: "TLSv1.2" as const,
};

describe("renderPostgresConf", () => {
    const lines = renderPostgresConf(confInput).split("\n");
    test("TLS on with a 1.2 floor and the given files", () => {
        expect(lines).toEqual(
            expect.arrayContaining([
                "ssl = on",
                "ssl_min_protocol_version = 'TLSv1.2'",
                "ssl_cert_file = '/tls/server.crt'",
                "ssl_key_file = '/tls/server.key'",
                "ssl_ca_file = '/tls/ca.crt'",
                "hba_file = '/etc/nestflux/pg_hba.conf'",
            ]),
        );
    });
    test("scram-sha-256 password hashing and connection logging", () => {
        expect(lines).toEqual(expect.arrayContaining(["password_encryption = scram-sha-256", "log_connections = on", "log_disconnections = on"]));
    });
    test("a TLS 1.3 floor when asked", () => {
        expect(renderPostgresConf({ ...confInput, tlsMinVersion: "TLSv1.3" })).toContain("ssl_min_protocol_version = 'TLSv1.3'");
    });
    test("socket directory only when given", () => {
        expect(lines.some((l) => l.startsWith("unix_socket_directories"))).toBe(false);
        expect(renderPostgresConf({ ...confInput, socketDirectory: "/tmp/x" })).toContain("unix_socket_directories = '/tmp/x'");
    });
});

describe("renderPgHba", () => {
    const rules = (text: string) => text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(/\s+/));

    test("TCP is hostssl + scram-sha-256 only, plaintext TCP rejected first", () => {
        const r = rules(renderPgHba({ clientCidr: "172.28.2.0/24", clientCertificates: false }));
        const tcp = r.filter((x) => x[0] !== "local");
        expect(tcp).toEqual([
            ["hostnossl", "all", "all", "0.0.0.0/0", "reject"],
            ["hostnossl", "all", "all", "::/0", "reject"],
            ["hostssl", "all", "all", "172.28.2.0/24", "scram-sha-256"],
        ]);
        expect(r.every((x) => x[0] !== "host")).toBe(true);
        expect(r.flat()).not.toContain("trust");
        expect(r.flat()).not.toContain("md5");
    });
    test("client certificates add clientcert=verify-full", () => {
        const r = rules(renderPgHba({ clientCidr: "10.0.0.0/8", clientCertificates: true }));
        expect(r[r.length - 1]).toEqual(["hostssl", "all", "all", "10.0.0.0/8", "scram-sha-256", "clientcert=verify-full"]);
    });
    test("without a known CIDR the rule is limited to the server's own subnets", () => {
        const r = rules(renderPgHba({ clientCertificates: false }));
        expect(r[r.length - 1][3]).toBe("samenet");
    });
});

describe("renderPostgresEntrypoint", () => {
    const script = renderPostgresEntrypoint({ sourceDir: "/src", targetDir: "/dst", owner: "postgres", exec: "postgres -D /data" });
    test("copies the key to a postgres-owned 0600 file, then hands over with exec", () => {
        expect(script).toContain("install -m 0600 -o postgres -g postgres /src/server.key /dst/server.key");
        expect(script).toContain("install -d -m 0700 -o postgres -g postgres /dst");
        expect(script.trim().split("\n").pop()).toBe("exec postgres -D /data");
        expect(script).toMatch(/^#!\/bin\/sh\nset -eu\n/);
    });
});
