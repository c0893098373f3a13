import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, DEFAULTS, ConfigKey, RawConfig, hashTree, parseSettings, rotationWindow } from "./components";
import { NestFluxStack } from "./components/stack";

// Raw reads: validation needs the values now, before any resource exists. Secret keys are
// wrapped in pulumi.secret by the components that use them.
const raw: RawConfig = {};
for (const key of Object.keys(DEFAULTS) as ConfigKey[]) {
    raw[key] = pulumi.runtime.getConfig(`${CONFIG_NAMESPACE}:${key}`);
}
const settings = parseSettings(raw, pulumi.getStack());

const apiDir = path.join(__dirname, "api");
const stack = new NestFluxStack("nestflux", {
    settings,
    rotationKey: `${settings.pki.rotation}#${rotationWindow(Date.now(), settings.pki.certValidityHours, settings.pki.earlyRenewalHours)}`,
    apiBuildContext: apiDir,
    apiBuildTrigger: settings.api.image === "" && fs.existsSync(apiDir) ? hashTree(apiDir) : undefined,
});

export const url = stack.url;
export const caCertificatePem = stack.caCertificatePem;
export const certificateExpiry = stack.certificateExpiry;
export const networks = stack.networkNames;
export const containers = stack.containerNames;
export const dbPassword = stack.dbPassword;
export const adminPassword = stack.adminPassword;
