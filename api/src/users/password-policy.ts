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
  if (password.trim() === '') return 'password must not be only whitespace';
  // Counted as the user means it: compatibility forms folded (NFKC), padding spaces not counted.
  const meant = password.normalize('NFKC').trim();
  const length = [...meant].length;
  if (length < MIN_PASSWORD_LENGTH) return `password must be at least ${MIN_PASSWORD_LENGTH} characters, not counting spaces at either end`;
  if (length > MAX_PASSWORD_LENGTH) return `password must be at most ${MAX_PASSWORD_LENGTH} characters`;
  const folded = meant.toLowerCase();
  if (COMMON.has(folded)) return 'password is too common; choose another';
  // A short unit repeated (aaaa…, abab…, 1234 1234…) or very few distinct characters.
  if (/^(.{1,5})\1+.{0,4}$/su.test(folded) || new Set(folded).size <= 3) return 'password is too repetitive; choose another';
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
