/** A Secrets Manager secret's name or ARN (the forms `GetSecretValue`'s SecretId takes). */
export const SECRET_ID =
  /^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:)?[A-Za-z0-9/_+=.@-]{1,512}$/;

/**
 * A KMS key's ARN (`arn:aws:kms:<region>:<account>:key/<key id>`, multi-Region `mrk-` ids included).
 * An alias will not do: IAM authorizes kms:Decrypt on the key's ARN, never on an alias's
 * (https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html).
 */
export const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]{1,128}$/;

/** A header value fits on one line: CR, LF and NUL would split or end the header. */
export const HEADER_VALUE = /^[^\r\n\0]{1,8192}$/;

/**
 * A static header's value read from Secrets Manager by the forwarder at first use (cached briefly
 * per container): the secret's string, or one `field` of it when it holds a JSON object, after
 * `prefix`. Only this reference travels in the template and the function's environment.
 */
export interface SecretHeaderValue {
  /** The secret's name or ARN. */
  readonly secret: string;
  /** The key to read when the secret's string is a JSON object; absent = the whole string. */
  readonly field?: string;
  /** Text put before the secret's value, e.g. `Bearer `. */
  readonly prefix?: string;
  /**
   * The ARN of the customer-managed KMS key the secret is encrypted with: on AWS the route's forwarder
   * is granted kms:Decrypt on it through Secrets Manager. Absent = the AWS-managed key. The stack
   * reads it; the forwarder's environment does not carry it.
   */
  readonly kmsKey?: string;
}

/** A route's static header value: plain text, or a reference to a Secrets Manager secret. */
export type HeaderValue = string | SecretHeaderValue;

/** Whether the value is read from a secret. */
export function isSecretHeaderValue(value: HeaderValue): value is SecretHeaderValue {
  return typeof value === 'object';
}
