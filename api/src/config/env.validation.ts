import 'reflect-metadata';
import { MIN_JWT_SECRET_LENGTH } from './contract';
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

export { MIN_JWT_SECRET_LENGTH } from './contract';

const BOOL = ['true', 'false'];

/**
 * The API's own variables, validated with class-validator (the pattern from the
 * NestJS configuration docs). `*_FILE` variants are resolved into the plain names
 * before validation (see load-config.ts), so a message always names the variable.
 * The variables shared with the stack's settings (limits, JWT_TTL, CORS_ORIGINS) are defined
 * once in contract.ts.
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

  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'METRICS_PORT must be an integer' })
  @Min(1)
  @Max(65535)
  METRICS_PORT?: number;

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
  @Matches(/^https?:\/\/[a-z0-9.-]+(:[0-9]{1,5})?$/, { message: 'PUBLIC_ORIGIN must be an origin such as https://app.example.com' })
  PUBLIC_ORIGIN?: string;

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
  'METRICS_PORT',
  'DATABASE_URL',
  'DATABASE_CA_FILE',
  'DATABASE_CLIENT_CERT_FILE',
  'DATABASE_CLIENT_KEY_FILE',
  'JWT_SECRET',
  'HTTPS',
  'HTTPS_CERT_FILE',
  'HTTPS_KEY_FILE',
  'TRUST_PROXY',
  'PUBLIC_ORIGIN',
  'ADMIN_EMAIL',
  'ADMIN_PASSWORD_FILE',
  'MIGRATE_ON_START',
];
