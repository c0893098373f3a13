import { dictionary } from '@zxcvbn-ts/language-common';
import { ValidationArguments, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';

/**
 * NIST SP 800-63B (rev. 4) for a password that is the only factor: at least 15 characters,
 * counted as Unicode code points; long passphrases allowed (we take 256); no composition rules;
 * refused when it is commonly used or trivially repetitive. The list is zxcvbn-ts's 49k most
 * common passwords, bundled, so nothing is looked up over the network.
 */
export const MIN_PASSWORD_LENGTH = 15;
export const MAX_PASSWORD_LENGTH = 256;

const COMMON = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));

/** What is wrong with a password, or undefined when it is acceptable. */
export function passwordProblem(password: unknown): string | undefined {
  if (typeof password !== 'string') return 'password must be a string';
  const length = [...password].length;
  if (password.trim() === '') return 'password must not be only whitespace';
  if (length < MIN_PASSWORD_LENGTH) return `password must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (length > MAX_PASSWORD_LENGTH) return `password must be at most ${MAX_PASSWORD_LENGTH} characters`;
  const folded = password.trim().toLowerCase();
  if (COMMON.has(folded)) return 'password is too common; choose another';
  if (new Set(folded).size <= 2) return 'password is too repetitive; choose another';
  return undefined;
}

@ValidatorConstraint({ name: 'passwordPolicy' })
export class PasswordPolicy implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return passwordProblem(value) === undefined;
  }

  defaultMessage(args?: ValidationArguments): string {
    return passwordProblem(args?.value) ?? 'password is not acceptable';
  }
}
