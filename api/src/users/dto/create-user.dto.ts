import { Transform } from 'class-transformer';
import { IsEmail, IsEnum, IsString, MaxLength, Validate } from 'class-validator';
import { PasswordPolicy } from '../password-policy';
import { Role } from '../role.enum';

export class CreateUserDto {
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @IsString()
  @Validate(PasswordPolicy)
  password!: string;

  @IsEnum(Role)
  role!: Role;
}
