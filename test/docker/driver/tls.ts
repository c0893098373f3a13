import * as x509 from "@peculiar/x509";
import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, randomBytes, webcrypto } from "crypto";
import { Inputs, only } from "./strict";

/**
 * Real keys and certificates for the tls provider's resources, from their declared inputs, so the
 * containers get working TLS: what `tls:*` would produce, signed with the same algorithms.
 */

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);


const USES: Record<string, { usage?: number; eku?: string }> = {
    digital_signature: { usage: x509.KeyUsageFlags.digitalSignature },
    key_encipherment: { usage: x509.KeyUsageFlags.keyEncipherment },
    cert_signing: { usage: x509.KeyUsageFlags.keyCertSign },
    crl_signing: { usage: x509.KeyUsageFlags.cRLSign },
    server_auth: { eku: x509.ExtendedKeyUsage.serverAuth },
    client_auth: { eku: x509.ExtendedKeyUsage.clientAuth },
};

function signingAlgorithm(key: KeyObject): { name: string; namedCurve?: string; hash: string } {
    if (key.asymmetricKeyType === "ec") {
        const curve = key.asymmetricKeyDetails?.namedCurve;
        if (curve === "prime256v1") return { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
        if (curve === "secp384r1") return { name: "ECDSA", namedCurve: "P-384", hash: "SHA-384" };
        throw new Error(`tls replay: curve ${curve} is not implemented`);
    }
    if (key.asymmetricKeyType === "rsa") return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    throw new Error(`tls replay: key type ${key.asymmetricKeyType} is not implemented`);
}

async function cryptoKey(pem: string): Promise<{ key: webcrypto.CryptoKey; alg: ReturnType<typeof signingAlgorithm> }> {
    const obj = createPrivateKey(pem);
    const alg = signingAlgorithm(obj);
    const der = obj.export({ format: "der", type: "pkcs8" });
    const key = await webcrypto.subtle.importKey("pkcs8", der, alg, true, ["sign"]);
    return { key, alg };
}

function subjectName(subject: Inputs | undefined): x509.Name {
    const parts: Record<string, string[]>[] = [];
    for (const [field, attr] of [["organization", "O"], ["commonName", "CN"]] as const) {
        if (subject?.[field]) parts.push({ [attr]: [String(subject[field])] });
    }
    const extra = Object.keys(subject ?? {}).filter((k) => k !== "organization" && k !== "commonName");
    if (extra.length > 0) throw new Error(`tls replay: subject fields ${extra.join(", ")} are not implemented`);
    return new x509.Name(parts);
}

function sanExtension(dnsNames?: string[], ipAddresses?: string[]): x509.Extension[] {
    const names = [...(dnsNames ?? []).map((v) => ({ type: "dns" as const, value: v })), ...(ipAddresses ?? []).map((v) => ({ type: "ip" as const, value: v }))];
    return names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : [];
}

function usageExtensions(uses: string[]): x509.Extension[] {
    let flags = 0;
    const ekus: string[] = [];
    for (const u of uses) {
        const m = USES[u];
        if (!m) throw new Error(`tls replay: allowedUses ${u} is not implemented`);
        if (m.usage) flags |= m.usage;
        if (m.eku) ekus.push(m.eku);
    }
    const out: x509.Extension[] = [];
    if (flags) out.push(new x509.KeyUsagesExtension(flags, true));
    if (ekus.length) out.push(new x509.ExtendedKeyUsageExtension(ekus));
    return out;
}

function validity(hours: number): { notBefore: Date; notAfter: Date } {
    const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000);
    return { notBefore, notAfter: new Date(notBefore.getTime() + hours * 3600e3) };
}

/** Sign a certificate valid for `hours` from now, and the tls provider's outputs for it. */
async function issue(
    inputs: Inputs,
    req: { subject: x509.Name | string; issuer: x509.Name | string; publicKey: webcrypto.CryptoKey; signingKey: webcrypto.CryptoKey; alg: ReturnType<typeof signingAlgorithm>; extensions: x509.Extension[] },
): Promise<Inputs> {
    const v = validity(inputs.validityPeriodHours);
    const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: req.subject,
        issuer: req.issuer,
        ...v,
        signingAlgorithm: req.alg,
        publicKey: req.publicKey,
        signingKey: req.signingKey,
        extensions: req.extensions,
    });
    return { ...inputs, certPem: cert.toString("pem") + "\n", validityStartTime: v.notBefore.toISOString(), validityEndTime: v.notAfter.toISOString(), readyForRenewal: false };
}

function serial(): string {
    const b = randomBytes(16);
    b[0] &= 0x7f;
    return b.toString("hex");
}

export async function privateKey(inputs: Inputs): Promise<Inputs> {
    only("tls:PrivateKey", inputs, ["algorithm", "ecdsaCurve", "rsaBits"]);
    if (inputs.algorithm === "ECDSA") {
        const curve = { P256: "prime256v1", P384: "secp384r1" }[inputs.ecdsaCurve as string];
        if (!curve) throw new Error(`tls replay: ecdsaCurve ${inputs.ecdsaCurve} is not implemented`);
        const { privateKey: k, publicKey } = generateKeyPairSync("ec", { namedCurve: curve });
        // The provider writes ECDSA keys as SEC1 ("EC PRIVATE KEY") and RSA keys as PKCS#1.
        return {
            ...inputs,
            privateKeyPem: k.export({ format: "pem", type: "sec1" }),
            privateKeyPemPkcs8: k.export({ format: "pem", type: "pkcs8" }),
            publicKeyPem: publicKey.export({ format: "pem", type: "spki" }),
        };
    }
    if (inputs.algorithm === "RSA") {
        const { privateKey: k, publicKey } = generateKeyPairSync("rsa", { modulusLength: inputs.rsaBits ?? 2048 });
        return {
            ...inputs,
            privateKeyPem: k.export({ format: "pem", type: "pkcs1" }),
            privateKeyPemPkcs8: k.export({ format: "pem", type: "pkcs8" }),
            publicKeyPem: publicKey.export({ format: "pem", type: "spki" }),
        };
    }
    throw new Error(`tls replay: algorithm ${inputs.algorithm} is not implemented`);
}

export async function selfSignedCert(inputs: Inputs): Promise<Inputs> {
    only("tls:SelfSignedCert", inputs, ["privateKeyPem", "isCaCertificate", "maxPathLength", "setSubjectKeyId", "validityPeriodHours", "earlyRenewalHours", "allowedUses", "subject", "dnsNames", "ipAddresses"]);
    const { key, alg } = await cryptoKey(inputs.privateKeyPem);
    const publicKey = await webcrypto.subtle.importKey("spki", createPublicKey(inputs.privateKeyPem).export({ format: "der", type: "spki" }) as any, alg, true, ["verify"]);
    const extensions: x509.Extension[] = [...usageExtensions(inputs.allowedUses ?? []), ...sanExtension(inputs.dnsNames, inputs.ipAddresses)];
    if (inputs.isCaCertificate) extensions.push(new x509.BasicConstraintsExtension(true, inputs.maxPathLength, true));
    if (inputs.setSubjectKeyId) extensions.push(await x509.SubjectKeyIdentifierExtension.create(publicKey));
    const name = subjectName(inputs.subject);
    return issue(inputs, { subject: name, issuer: name, publicKey, signingKey: key, alg, extensions });
}

export async function certRequest(inputs: Inputs): Promise<Inputs> {
    only("tls:CertRequest", inputs, ["privateKeyPem", "subject", "dnsNames", "ipAddresses"]);
    const { key, alg } = await cryptoKey(inputs.privateKeyPem);
    const publicKey = await webcrypto.subtle.importKey("spki", createPublicKey(inputs.privateKeyPem).export({ format: "der", type: "spki" }) as any, alg, true, ["verify"]);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
        name: subjectName(inputs.subject),
        keys: { privateKey: key, publicKey } as webcrypto.CryptoKeyPair,
        signingAlgorithm: alg,
        extensions: sanExtension(inputs.dnsNames, inputs.ipAddresses),
    });
    return { ...inputs, certRequestPem: csr.toString("pem") + "\n" };
}

export async function locallySignedCert(inputs: Inputs): Promise<Inputs> {
    only("tls:LocallySignedCert", inputs, ["certRequestPem", "caCertPem", "caPrivateKeyPem", "validityPeriodHours", "earlyRenewalHours", "allowedUses", "setSubjectKeyId", "isCaCertificate"]);
    if (inputs.isCaCertificate) throw new Error("tls replay: isCaCertificate on LocallySignedCert is not implemented");
    const csr = new x509.Pkcs10CertificateRequest(inputs.certRequestPem);
    const ca = new x509.X509Certificate(inputs.caCertPem);
    const { key, alg } = await cryptoKey(inputs.caPrivateKeyPem);
    const publicKey = await csr.publicKey.export();
    const extensions: x509.Extension[] = [
        new x509.BasicConstraintsExtension(false, undefined, true),
        ...usageExtensions(inputs.allowedUses ?? []),
        ...csr.extensions.filter((e) => e.type === x509.SubjectAlternativeNameExtension.NAME || e.type === "2.5.29.17"),
        await x509.AuthorityKeyIdentifierExtension.create(ca),
    ];
    if (inputs.setSubjectKeyId) extensions.push(await x509.SubjectKeyIdentifierExtension.create(publicKey));
    return issue(inputs, { subject: csr.subjectName, issuer: ca.subjectName, publicKey, signingKey: key, alg, extensions });
}
