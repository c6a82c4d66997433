import { BillingMode, type Table } from 'aws-cdk-lib/aws-dynamodb';
import { DEFAULT_TABLE_BILLING, type TableBillingConfig } from '../../shared/config/front-door.js';
import { ConfigurationError } from '../../shared/errors.js';

/** What a `Table` (or one of its global secondary indexes) is created with for a billing choice. */
export interface TableCapacityProps {
  readonly billingMode: BillingMode;
  readonly readCapacity?: number;
  readonly writeCapacity?: number;
}

/** Application Auto Scaling's target-tracking bounds for DynamoDB utilization. */
const MIN_TARGET_PERCENT = 20;
const MAX_TARGET_PERCENT = 90;

/** Checks a billing choice, naming the bad field and value. */
export function validateTableBilling(
  billing: TableBillingConfig = DEFAULT_TABLE_BILLING,
): TableBillingConfig {
  if (billing.mode === 'on-demand') return billing;
  for (const [name, range] of [
    ['writeCapacity', billing.writeCapacity],
    ['readCapacity', billing.readCapacity],
  ] as const) {
    if (
      !Number.isInteger(range.min) ||
      range.min < 1 ||
      !Number.isInteger(range.max) ||
      range.max < range.min
    ) {
      throw new ConfigurationError(
        `tableBilling.${name} must be whole numbers with 1 <= min <= max, got ${JSON.stringify(range)}`,
      );
    }
  }
  const target = billing.targetUtilizationPercent;
  if (!Number.isInteger(target) || target < MIN_TARGET_PERCENT || target > MAX_TARGET_PERCENT) {
    throw new ConfigurationError(
      `tableBilling.targetUtilizationPercent must be a whole number from ${MIN_TARGET_PERCENT} to ${MAX_TARGET_PERCENT}, got ${target}`,
    );
  }
  return billing;
}

/** The capacity props of a table or index: pay per request, or provisioned at the range's minimum. */
export function tableCapacity(billing: TableBillingConfig): TableCapacityProps {
  return billing.mode === 'on-demand'
    ? { billingMode: BillingMode.PAY_PER_REQUEST }
    : {
        billingMode: BillingMode.PROVISIONED,
        readCapacity: billing.readCapacity.min,
        writeCapacity: billing.writeCapacity.min,
      };
}

/**
 * With provisioned billing, target-tracking auto scaling of reads and writes on the table and on
 * each named global secondary index (an index has capacity of its own, and a throttled index write
 * throttles the table write). Nothing to do on demand.
 */
export function autoScaleTable(
  table: Table,
  billing: TableBillingConfig,
  indexNames: readonly string[] = [],
): void {
  if (billing.mode === 'on-demand') return;
  const target = { targetUtilizationPercent: billing.targetUtilizationPercent };
  const reads = { minCapacity: billing.readCapacity.min, maxCapacity: billing.readCapacity.max };
  const writes = { minCapacity: billing.writeCapacity.min, maxCapacity: billing.writeCapacity.max };
  table.autoScaleReadCapacity(reads).scaleOnUtilization(target);
  table.autoScaleWriteCapacity(writes).scaleOnUtilization(target);
  for (const index of indexNames) {
    table.autoScaleGlobalSecondaryIndexReadCapacity(index, reads).scaleOnUtilization(target);
    table.autoScaleGlobalSecondaryIndexWriteCapacity(index, writes).scaleOnUtilization(target);
  }
}
