import { API_SERVICE_HOST, DB_HOST, apiCertificateNames, apiReplicaHost } from "../../components/names";
import type { RunResult } from "../support/mock-engine";
import { prodCertificateConfig, runIndex } from "../support/stacks";
import { CONTAINER, env, upload } from "./stack-helpers";

let r: RunResult;
let certs: Record<string, string>;
beforeAll(async () => {
    certs = prodCertificateConfig();
    r = await runIndex("prod", certs);
});

const proxy = () => r.one(CONTAINER, "proxy-nginx");
const db = () => r.one(CONTAINER, "pg-db");
const apis = () => r.byType(CONTAINER).filter((c) => /-api-\d+$/.test(c.name));
const nginxConf = () => upload(proxy(), "/etc/nginx/nginx.conf").content;

describe("prod stack under mocks (the real index.ts)", () => {
    test("three API replicas, each listed in the upstream", () => {
        expect(apis().map((c) => c.inputs.name)).toEqual(["nestflux-prod-api-0", "nestflux-prod-api-1", "nestflux-prod-api-2"]);
        for (let i = 0; i < 3; i++) expect(nginxConf()).toContain(`server ${apiReplicaHost(i)}:3000 max_fails=3`);
    });

    test("replicas after the first wait for it (it runs the migrations)", () => {
        const [first, ...rest] = apis();
        expect(env(first).MIGRATE_ON_START).toBe("true");
        expect(first.inputs.wait).toBe(true);
        for (const c of rest) {
            expect(env(c).MIGRATE_ON_START).toBe("false");
            expect(c.dependencies).toContain(first.urn);
        }
    });

    test("proxy → API is HTTPS and nginx verifies the API's certificate and name", () => {
        const conf = nginxConf();
        expect(conf).toContain("proxy_pass https://api_backend;");
        expect(conf).toContain("proxy_ssl_verify on;");
        expect(conf).toContain(`proxy_ssl_name ${API_SERVICE_HOST};`);
        expect(upload(proxy(), "/etc/nginx/tls/upstream-ca.pem").content).toBe(r.outputs.caCertificatePem);
        const csr = r.one("tls:index/certRequest:CertRequest", "pki-api-csr");
        expect(csr.inputs.dnsNames).toEqual(apiCertificateNames(3));
        for (const c of apis()) {
            expect(env(c)).toMatchObject({ HTTPS: "true", HTTPS_KEY_FILE: "/run/nestflux/https.key" });
            expect(upload(c, "/run/nestflux/https.key").secret).toBe(true);
        }
    });

    test("API → DB requires a client certificate whose CN is the DB user", () => {
        expect(upload(db(), "/etc/nestflux/pg_hba.conf").content).toContain("hostssl    all       all   172.28.2.0/24  scram-sha-256 clientcert=verify-full");
        expect(r.one("tls:index/certRequest:CertRequest", "pki-db-client-csr").inputs.subject.commonName).toBe("nestflux");
        expect(r.one("tls:index/locallySignedCert:LocallySignedCert", "pki-db-client-cert").inputs.allowedUses).toContain("client_auth");
        for (const c of apis()) {
            expect(env(c).DATABASE_CLIENT_KEY_FILE).toBe("/run/nestflux/db-client.key");
            expect(upload(c, "/run/nestflux/db-client.key").secret).toBe(true);
            expect(new URL(upload(c, "/run/nestflux/database_url").content).hostname).toBe(DB_HOST);
        }
    });

    test("the provided certificate is served with its chain, key secret, OCSP stapling on", () => {
        const chain = upload(proxy(), "/etc/nginx/tls/fullchain.pem").content;
        expect(chain.startsWith(certs["nestflux:tlsCertificate"].trim())).toBe(true);
        expect(chain).toContain(certs["nestflux:tlsChain"].trim());
        const key = upload(proxy(), "/etc/nginx/tls/privkey.pem");
        expect(key).toMatchObject({ secret: true, content: certs["nestflux:tlsPrivateKey"] });
        expect(nginxConf()).toContain("ssl_stapling on;");
        expect(r.byType("tls:index/certRequest:CertRequest").map((c) => c.name)).not.toContain("nestflux-pki-edge-csr");
    });

    test("public bind, standard ports, HSTS preload, API trusts only the app subnet", () => {
        expect(proxy().inputs.ports.map((p: any) => `${p.ip}:${p.external}`)).toEqual(["0.0.0.0:80", "0.0.0.0:443"]);
        expect(nginxConf()).toContain('"max-age=63072000; includeSubDomains; preload"');
        expect(nginxConf()).toContain("return 301 https://$host$request_uri;");
        for (const c of apis()) expect(env(c).TRUST_PROXY).toBe("172.28.1.0/24");
    });

    test("the provided certificate's expiry is exported; no private key in plain outputs", () => {
        const expiry = r.outputs.certificateExpiry as Record<string, string>;
        expect(Object.keys(expiry).sort()).toEqual(["api", "ca", "db", "db-client", "edge"]);
        expect(new Date(expiry.edge).getTime()).toBeGreaterThan(Date.now());
        const plain = JSON.stringify(Object.entries(r.outputs).filter(([k]) => !k.endsWith("Password")));
        expect(plain).not.toContain("PRIVATE KEY");
    });
});
