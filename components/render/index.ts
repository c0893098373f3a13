export * from "./nginx";
export * from "./postgres";
export * from "./page";
export * from "./files";
