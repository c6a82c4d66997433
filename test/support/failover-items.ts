import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';

/**
 * Message ids in the failover table, of every route (the drainer's lease item and an ordered key's
 * counter have no shard and are left out).
 */
export async function failoverIds(dynamoDb: DynamoDBClient, tableName: string): Promise<string[]> {
  const ids: string[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const output = await dynamoDb.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    for (const item of output.Items ?? [])
      if (item.shard) ids.push(item.envelopeId?.S ?? item.messageId?.S ?? '');
    start = output.LastEvaluatedKey;
  } while (start);
  return ids;
}
