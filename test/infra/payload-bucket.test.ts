import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { PayloadBucket } from '../../infra/constructs/payload-bucket.js';

describe('PayloadBucket', () => {
  it('fails when its objects would expire before the status records that refer to them', () => {
    // Prepare
    const stack = new Stack(new App(), 'Payloads');

    // Act
    const make = () => new PayloadBucket(stack, 'Payloads', { expirationDays: 29, recordRetentionDays: 30 });

    // Assess
    expect(make).toThrow(/expirationDays .* no shorter than the status record's retention \(30\), got 29/);
  });
});
