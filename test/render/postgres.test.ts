import { renderBackupScript, renderPgHba, renderPostgresConf, renderRolesScript } from "../../components/render/postgres";

const confInput = {
    port: 5432,
    listenAddresses: "*",
    certificatePath: "/tls/server.crt",
    keyPath: "/tls/server.key",
    caPath: "/tls/ca.crt",
    hbaPath: "/etc/nestflux/pg_hba.conf",
    dbTlsMinVersion: "TLSv1.2" as const,
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
        expect(renderPostgresConf({ ...confInput, dbTlsMinVersion: "TLSv1.3" })).toContain("ssl_min_protocol_version = 'TLSv1.3'");
    });
    test("socket directory only when given", () => {
        expect(lines.some((l) => l.startsWith("unix_socket_directories"))).toBe(false);
        expect(renderPostgresConf({ ...confInput, socketDirectory: "/tmp/x" })).toContain("unix_socket_directories = '/tmp/x'");
    });
});

describe("renderPgHba", () => {
    const rules = (text: string) => text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(/\s+/));

    test("TCP is hostssl + scram-sha-256 only, plaintext TCP rejected first", () => {
        const r = rules(renderPgHba({ clientCidr: "172.28.2.0/24", dbClientCerts: false }));
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
        const r = rules(renderPgHba({ clientCidr: "10.0.0.0/8", dbClientCerts: true }));
        expect(r[r.length - 1]).toEqual(["hostssl", "all", "all", "10.0.0.0/8", "scram-sha-256", "clientcert=verify-full"]);
    });
    test("with users, only those roles may log in over the network", () => {
        const r = rules(renderPgHba({ clientCidr: "10.0.0.0/8", dbClientCerts: false, users: ["app", "app_owner"] }));
        expect(r[r.length - 1]).toEqual(["hostssl", "all", "app,app_owner", "10.0.0.0/8", "scram-sha-256"]);
        expect(() => renderPgHba({ dbClientCerts: false, users: ["x,postgres"] })).toThrow(/SQL identifiers/);
        expect(() => renderPgHba({ dbClientCerts: false, users: [] })).toThrow(/at least one role/);
    });
    test("without a known CIDR the rule is limited to the server's own subnets", () => {
        const r = rules(renderPgHba({ dbClientCerts: false }));
        expect(r[r.length - 1][3]).toBe("samenet");
    });
});

describe("renderRolesScript", () => {
    const script = renderRolesScript({ database: "nestflux", ownerRole: "nestflux_owner", appRole: "nestflux", dumpRole: "nestflux_dump", passwordDir: "/etc/nestflux" });
    test("two login roles without superuser, role or database creation rights", () => {
        expect(script).toMatch(/CREATE ROLE nestflux_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS/);
        expect(script).toMatch(/CREATE ROLE nestflux LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS/);
    });
    test("the owner owns the database and schema; the application role gets DML on the owner's tables only", () => {
        expect(script).toContain("ALTER DATABASE nestflux OWNER TO nestflux_owner;");
        expect(script).toContain("ALTER SCHEMA public OWNER TO nestflux_owner;");
        expect(script).toContain("ALTER DEFAULT PRIVILEGES FOR ROLE nestflux_owner IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO nestflux;");
        expect(script).not.toMatch(/GRANT (ALL|CREATE)[^;]* TO nestflux;/);
    });
    test("passwords are read from files by psql, never rendered", () => {
        expect(script).toContain("\\set app_password `cat /etc/nestflux/app_password`");
        expect(script).toContain("PASSWORD :'app_password'");
        expect(script).toContain("<<'SQL'");
    });
    test("refuses identifiers that are not plain SQL names, and one role for both jobs", () => {
        expect(() => renderRolesScript({ database: "x; DROP", ownerRole: "o", appRole: "a", dumpRole: "d", passwordDir: "/p" })).toThrow(/database must be a lower-case SQL identifier/);
        expect(() => renderRolesScript({ database: "d", ownerRole: "a", appRole: "a", dumpRole: "b", passwordDir: "/p" })).toThrow(/must differ/);
    });
});

describe("backup script", () => {
    const input = {
        host: "db.nestflux.internal",
        port: 5432,
        database: "nestflux",
        role: "nestflux_dump",
        caPath: "/etc/nestflux-backup/db-ca.crt",
        recipientPath: "/etc/nestflux-backup/recipient.crt",
        backupDir: "/var/lib/postgresql",
        intervalMinutes: 60,
        retentionDays: 14,
    };
    const script = renderBackupScript(input);

    test("dumps as the read-only role with verify-full, and encrypts to the recipient before anything lands", () => {
        expect(script).toContain("CONN='host=db.nestflux.internal port=5432 dbname=nestflux user=nestflux_dump sslmode=verify-full sslrootcert=/etc/nestflux-backup/db-ca.crt'");
        expect(script).toMatch(/pg_dump --format=custom --no-password --dbname="\$CONN" \| openssl cms -encrypt -stream -binary -aes256 -outform DER -out "\$tmp" \/etc\/nestflux-backup\/recipient\.crt &&/);
        expect(script).toContain("set -euo pipefail");
        // The final name only after both steps succeeded, and after its checksum exists.
        const rename = script.indexOf('mv "$tmp" "$DIR/$name"');
        expect(rename).toBeGreaterThan(script.indexOf("openssl cms -encrypt"));
        expect(rename).toBeGreaterThan(script.indexOf('> "$DIR/$name.sha256"'));
        expect(script).toContain('tmp=$(mktemp "$DIR/.partial-XXXXXX")');
    });

    test("client certificate only when given; schedule and retention from the input", () => {
        expect(script).not.toContain("sslcert=");
        expect(renderBackupScript({ ...input, clientCertPath: "/c.crt", clientKeyPath: "/c.key" })).toContain("sslcert=/c.crt sslkey=/c.key");
        expect(script).toContain("INTERVAL_SECONDS=3600");
        expect(script).toContain(`RETENTION_MINUTES=${14 * 1440}`);
        expect(renderBackupScript({ ...input, retentionDays: 1, intervalMinutes: 5 })).toMatch(/RETENTION_MINUTES=1440\nINTERVAL_SECONDS=300/);
    });

    test("a failure is logged as a security-relevant event and retried after a minute", () => {
        expect(script).toContain('log error backup_failed ",\\"security\\":true"');
        expect(script).toContain('loop) while true; do if once; then sleep "$INTERVAL_SECONDS"; else sleep 60; fi; done ;;');
    });

    test("refuses identifiers and schedules it cannot render safely", () => {
        expect(() => renderBackupScript({ ...input, role: "x'; rm -rf /" })).toThrow(/role must be a lower-case SQL identifier/);
        expect(() => renderBackupScript({ ...input, intervalMinutes: 0 })).toThrow(/intervalMinutes must be at least 1/);
    });
});
