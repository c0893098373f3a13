/** The page served when no SPA build is configured: no inline script or style, so the strict CSP holds. */
export function renderPlaceholderPage(serverName: string): string {
    const safe = serverName.replace(/[^a-zA-Z0-9.-]/g, "");
    return [
        "<!doctype html>",
        '<html lang="en">',
        '<head><meta charset="utf-8"><title>NestFlux</title></head>',
        `<body><h1>NestFlux on ${safe}</h1><p>Set nestflux:spaDir to serve your single-page app here.</p></body>`,
        "</html>",
        "",
    ].join("\n");
}
