import { Stack } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { isSecretHeaderValue } from '../../shared/config/header-value.js';
import type { RouteConfig } from '../../shared/config/routes.js';

/** The customer-managed KMS keys a route's secrets name (`kmsKey` of a header secret or of `signing`). */
export function secretKeysOf(route: Pick<RouteConfig, 'headers' | 'signing'>): string[] {
  const keys = [
    ...Object.values(route.headers ?? {})
      .filter(isSecretHeaderValue)
      .flatMap((value) => value.kmsKey ?? []),
    ...(route.signing?.kmsKey ? [route.signing.kmsKey] : []),
  ];
  return [...new Set(keys)];
}

/**
 * Lets `grantee` decrypt with the KMS keys that encrypt the route's secrets, and only through
 * Secrets Manager. GetSecretValue on a secret encrypted with a customer-managed key makes Secrets
 * Manager call kms:Decrypt with the caller's rights
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html), so the
 * caller needs kms:Decrypt on that key; the `kms:ViaService` condition keeps it to requests Secrets
 * Manager makes in this region on its behalf
 * (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
 * Written as a statement of its own: CDK's grant through a ViaServicePrincipal adds nothing at all
 * for an imported key. The key's own policy must let the account's IAM policies grant its use (the
 * default key policy does); a key of another account must name the forwarder's role itself.
 */
export function grantSecretKeysDecrypt(
  grantee: IGrantable & IConstruct,
  route: Pick<RouteConfig, 'headers' | 'signing'>,
): void {
  const keys = secretKeysOf(route);
  if (keys.length === 0) return;
  Grant.addToPrincipal({
    grantee,
    actions: ['kms:Decrypt'],
    resourceArns: keys,
    conditions: {
      StringEquals: {
        'kms:ViaService': `secretsmanager.${Stack.of(grantee).region}.amazonaws.com`,
      },
    },
  });
}
