export { base32Decode, base32Encode } from './base32.js';
export {
  ConsoleAuth,
  type ConsoleAuthOptions,
  type ConsoleSession,
  type LoginInput,
  type LoginResult,
  sessionIdOf,
} from './ConsoleAuth.js';
export { type AuditEntry, type AuditFn, ConsoleAuditAction, LoginFailureReason, consoleActor } from './ConsoleAuditAction.js';
export { ConsoleRole, type ConsoleUser, ConsoleUserStatus, Username, parseRole, parseUsername } from './ConsoleUser.js';
export { type IssuedCredentials } from './ConsoleUsers.js';
export { LoginForm } from './LoginForm.js';
export { type ScryptParams, hashPassword, scryptDefaults, verifyPassword } from './passwordHash.js';
export { checkPasswordPolicy, generatePassword, passwordLength } from './passwordPolicy.js';
export { Throttle, type ThrottlePolicy, type ThrottleState, tooManyAttempts } from './Throttle.js';
export { type TotpAlgorithm, generateTotpSecret, hotp, otpauthUri, totpCode, totpDefaults, totpStep, verifyTotp } from './totp.js';
