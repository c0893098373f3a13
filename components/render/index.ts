export * from "./nginx";
export * from "./postgres";
export * from "./page";
