import { nestfluxProgram } from "./program";

const stack = nestfluxProgram();

export const url = stack.url;
export const caCertificatePem = stack.caCertificatePem;
export const certificateExpiry = stack.certificateExpiry;
export const networks = stack.networks;
export const containers = stack.containers;
export const dbPassword = stack.dbPassword;
export const adminPassword = stack.adminPassword;
