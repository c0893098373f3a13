import type { HelmetOptions } from 'helmet';

/**
 * helmet for a JSON API that sits behind the NestFlux nginx proxy.
 *
 * The proxy owns the headers that describe the *site* and sets them on every response
 * (`add_header ... always`): Strict-Transport-Security, Content-Security-Policy and
 * X-Frame-Options. If the API sent them too, browsers would get two copies (two CSPs
 * are both enforced; two HSTS headers are ambiguous), so they are turned off here.
 *
 * Everything else keeps helmet's safe defaults, so direct API responses still carry:
 * X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer,
 * Cross-Origin-Opener-Policy / Cross-Origin-Resource-Policy: same-origin,
 * Origin-Agent-Cluster, X-DNS-Prefetch-Control: off, X-Download-Options: noopen,
 * X-Permitted-Cross-Domain-Policies: none, X-XSS-Protection: 0, and no X-Powered-By.
 */
export function helmetOptions(): Readonly<HelmetOptions> {
  return {
    contentSecurityPolicy: false,
    strictTransportSecurity: false,
    xFrameOptions: false,
  };
}
