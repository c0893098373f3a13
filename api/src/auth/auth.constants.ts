/** `iss` and `aud` of the access tokens; checked on every request. */
export const JWT_ISSUER = 'nestflux-api';
export const JWT_AUDIENCE = 'nestflux-api';

export interface JwtPayload {
  sub: string;
  email: string;
  role: string;
}

/** What guards attach to request.user. */
export interface AuthUser {
  id: string;
  email: string;
  role: string;
}
