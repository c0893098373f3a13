/**
 * Host names are the contract between certificates and the clients that dial them: every name a
 * client connects to must be in the peer certificate's SANs. Both the certificates (pki.ts) and
 * the clients (rendered configs, DATABASE_URL) derive the names from here and nowhere else.
 */
export const INTERNAL_DOMAIN = "nestflux.internal";

/** The name the API dials for PostgreSQL (a network alias on the data network). */
export const DB_HOST = `db.${INTERNAL_DOMAIN}`;

/** The name nginx verifies API certificates against (proxy_ssl_name). */
export const API_SERVICE_HOST = `api.${INTERNAL_DOMAIN}`;

/** The per-replica name nginx lists in its upstream (a network alias on the app network). */
export function apiReplicaHost(index: number): string {
    return `api-${index}.${INTERNAL_DOMAIN}`;
}

/** Every name an API replica can be reached by: the service name and each replica's name. */
export function apiCertificateNames(replicas: number): string[] {
    return [API_SERVICE_HOST, ...Array.from({ length: replicas }, (_, i) => apiReplicaHost(i))];
}

export const DB_PORT = 5432;
export const API_PORT = 3000;
/** The API's Prometheus listener: on the app network only; the proxy routes nothing to it. */
export const API_METRICS_PORT = 9464;
