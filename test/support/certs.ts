import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/**
 * Certificates made with the openssl CLI, with the same parameters the PKI component asks of
 * the tls provider: ECDSA P-256 by default, a CA limited to leaves (pathlen 0), leaves with
 * serverAuth or clientAuth and the SANs the clients dial.
 */

export interface KeyPair {
    certPath: string;
    keyPath: string;
    certPem: string;
    keyPem: string;
}

function keyArgs(algorithm: string): string[] {
    const [family, size] = algorithm.split("-");
    return family === "RSA"
        ? ["-newkey", `rsa:${size}`]
        : ["-newkey", "ec", "-pkeyopt", `ec_paramgen_curve:${size === "P384" ? "P-384" : "P-256"}`];
}

function openssl(args: string[]): void {
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function read(certPath: string, keyPath: string): KeyPair {
    return { certPath, keyPath, certPem: fs.readFileSync(certPath, "utf8"), keyPem: fs.readFileSync(keyPath, "utf8") };
}

export function makeCa(dir: string, name = "ca", algorithm = "ECDSA-P256", subject = "/O=NestFlux test/CN=NestFlux test internal CA"): KeyPair {
    const certPath = path.join(dir, `${name}.crt`);
    const keyPath = path.join(dir, `${name}.key`);
    openssl([
        "req", "-x509", ...keyArgs(algorithm), "-nodes", "-keyout", keyPath, "-out", certPath, "-days", "3650", "-subj", subject,
        "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
    ]);
    return read(certPath, keyPath);
}

export interface LeafOptions {
    commonName: string;
    dnsNames?: string[];
    ipAddresses?: string[];
    usage: "server" | "client";
    algorithm?: string;
    /** Default 90, as the stack's default certValidityHours. */
    days?: number;
}

export function issueLeaf(dir: string, name: string, ca: KeyPair, opts: LeafOptions): KeyPair {
    const certPath = path.join(dir, `${name}.crt`);
    const keyPath = path.join(dir, `${name}.key`);
    const csrPath = path.join(dir, `${name}.csr`);
    const extPath = path.join(dir, `${name}.ext`);
    const sans = [...(opts.dnsNames ?? []).map((d) => `DNS:${d}`), ...(opts.ipAddresses ?? []).map((i) => `IP:${i}`)];
    fs.writeFileSync(
        extPath,
        [
            "basicConstraints=critical,CA:FALSE",
            "keyUsage=critical,digitalSignature",
            `extendedKeyUsage=${opts.usage === "server" ? "serverAuth" : "clientAuth"}`,
            ...(sans.length ? [`subjectAltName=${sans.join(",")}`] : []),
        ].join("\n"),
    );
    openssl(["req", "-new", ...keyArgs(opts.algorithm ?? "ECDSA-P256"), "-nodes", "-keyout", keyPath, "-out", csrPath, "-subj", `/CN=${opts.commonName}`]);
    openssl([
        "x509", "-req", "-in", csrPath, "-CA", ca.certPath, "-CAkey", ca.keyPath, "-CAcreateserial",
        "-out", certPath, "-days", String(opts.days ?? 90), "-extfile", extPath,
    ]);
    return read(certPath, keyPath);
}
