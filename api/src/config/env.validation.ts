import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  IsDefined,
  IsEmail,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';

/** Minimum length of the HMAC secret used to sign JWTs (256 bits of text). */
export const MIN_JWT_SECRET_LENGTH = 32;
/** Minimum length of the initial admin password. */
export const MIN_ADMIN_PASSWORD_LENGTH = 12;

const BOOL = ['true', 'false'];

/**
 * The environment contract, validated with class-validator (the pattern from the
 * NestJS configuration docs). `*_FILE` variants are resolved into the plain names
 * before validation (see load-config.ts), so a message always names the variable.
 */
export class EnvironmentVariables {
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'PORT must be an integer' })
  @Min(1)
  @Max(65535)
  PORT: number = 3000;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  HOST: string = '0.0.0.0';

  @IsDefined({ message: 'DATABASE_URL is required (set DATABASE_URL or DATABASE_URL_FILE)' })
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgresql:// URL' })
  DATABASE_URL!: string;

  @IsDefined({ message: 'DATABASE_CA_FILE is required (PEM CA used to verify the PostgreSQL server)' })
  @IsString()
  DATABASE_CA_FILE!: string;

  @IsOptional()
  @IsString()
  DATABASE_CLIENT_CERT_FILE?: string;

  @IsOptional()
  @IsString()
  DATABASE_CLIENT_KEY_FILE?: string;

  @IsDefined({ message: 'JWT_SECRET is required (set JWT_SECRET or JWT_SECRET_FILE)' })
  @IsString()
  @MinLength(MIN_JWT_SECRET_LENGTH, {
    message: `JWT_SECRET is too weak: it must be at least ${MIN_JWT_SECRET_LENGTH} characters`,
  })
  JWT_SECRET!: string;

  @IsOptional()
  @Matches(/^[1-9][0-9]*[smh]?$/, { message: 'JWT_TTL must look like 900, 900s, 15m or 1h' })
  JWT_TTL: string = '15m';

  @IsOptional()
  @IsIn(BOOL, { message: 'HTTPS must be "true" or "false"' })
  HTTPS: string = 'false';

  @ValidateIf((o: EnvironmentVariables) => o.HTTPS === 'true')
  @IsDefined({ message: 'HTTPS_CERT_FILE is required when HTTPS=true' })
  @IsString()
  HTTPS_CERT_FILE?: string;

  @ValidateIf((o: EnvironmentVariables) => o.HTTPS === 'true')
  @IsDefined({ message: 'HTTPS_KEY_FILE is required when HTTPS=true' })
  @IsString()
  HTTPS_KEY_FILE?: string;

  @IsOptional()
  @IsString()
  TRUST_PROXY?: string;

  @IsOptional()
  @IsString()
  CORS_ORIGINS?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'THROTTLE_TTL_MS must be an integer' })
  @Min(1)
  THROTTLE_TTL_MS: number = 60000;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'THROTTLE_LIMIT must be an integer' })
  @Min(1)
  THROTTLE_LIMIT: number = 100;

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'LOGIN_THROTTLE_LIMIT must be an integer' })
  @Min(1)
  LOGIN_THROTTLE_LIMIT: number = 5;

  @IsOptional()
  @IsEmail({}, { message: 'ADMIN_EMAIL must be an e-mail address' })
  @MaxLength(254)
  ADMIN_EMAIL?: string;

  @ValidateIf((o: EnvironmentVariables) => o.ADMIN_EMAIL !== undefined)
  @IsDefined({ message: 'ADMIN_PASSWORD_FILE is required when ADMIN_EMAIL is set' })
  @IsString()
  ADMIN_PASSWORD_FILE?: string;

  @IsOptional()
  @IsIn(BOOL, { message: 'MIGRATE_ON_START must be "true" or "false"' })
  MIGRATE_ON_START: string = 'false';
}

/** Every variable of the contract (plain names; *_FILE secrets are resolved first). */
export const ENV_KEYS: ReadonlyArray<keyof EnvironmentVariables> = [
  'PORT',
  'HOST',
  'DATABASE_URL',
  'DATABASE_CA_FILE',
  'DATABASE_CLIENT_CERT_FILE',
  'DATABASE_CLIENT_KEY_FILE',
  'JWT_SECRET',
  'JWT_TTL',
  'HTTPS',
  'HTTPS_CERT_FILE',
  'HTTPS_KEY_FILE',
  'TRUST_PROXY',
  'CORS_ORIGINS',
  'THROTTLE_TTL_MS',
  'THROTTLE_LIMIT',
  'LOGIN_THROTTLE_LIMIT',
  'ADMIN_EMAIL',
  'ADMIN_PASSWORD_FILE',
  'MIGRATE_ON_START',
];
