#!/usr/bin/env bash
# Deploys the real CDK stack (infra/app.ts) to a LocalStack running on this machine.
#
# Needs Docker and LocalStack (https://docs.localstack.cloud), started for example with
#   LAMBDA_IGNORE_ARCHITECTURE=1 localstack start -d
# (the functions are built for ARM64; that setting lets an x86 host run them).
# NOT RUN in this project's CI or by its authors: they had no Docker. `npm start` is the tested
# local path; this script is the documented way to try the deployed shape (API Gateway, Lambda,
# event source mappings, EventBridge schedule) without an AWS account.
#
# Usage: scripts/deploy-localstack.sh [extra cdk deploy arguments]
# Environment: LOCALSTACK_URL (default http://localhost:4566), CATERING_SERVICE_EP (the backend the
# forwarder calls; from inside LocalStack's Lambda containers, use http://host.docker.internal:PORT
# for something on this machine), plus the variables of docs/configuration.md (MAX_ATTEMPTS, ...).
set -euo pipefail

cd "$(dirname "$0")/.."
LOCALSTACK_URL="${LOCALSTACK_URL:-http://localhost:4566}"

if ! curl -fsS "$LOCALSTACK_URL/_localstack/health" >/dev/null; then
  echo "LocalStack does not answer at $LOCALSTACK_URL. Start it first (needs Docker):" >&2
  echo "  LAMBDA_IGNORE_ARCHITECTURE=1 localstack start -d" >&2
  exit 1
fi

# LocalStack accepts any credentials; never send real ones to it.
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_DEFAULT_REGION="${AWS_REGION:-us-east-1}"
export CDK_DEFAULT_ACCOUNT=000000000000 CDK_DEFAULT_REGION="$AWS_REGION"

if command -v cdklocal >/dev/null 2>&1; then
  # LocalStack's wrapper (npm install -g aws-cdk-local): points every CDK call at LocalStack.
  CDK=(cdklocal)
  export AWS_ENDPOINT_URL="$LOCALSTACK_URL"
else
  # Without the wrapper: the CDK CLI honours the SDK's standard endpoint variables. S3 (assets)
  # needs LocalStack's virtual-host name so bucket URLs resolve.
  CDK=(npx --no-install cdk)
  export AWS_ENDPOINT_URL="$LOCALSTACK_URL"
  export AWS_ENDPOINT_URL_S3="${AWS_ENDPOINT_URL_S3:-http://s3.localhost.localstack.cloud:4566}"
fi

echo "Bootstrapping and deploying to LocalStack at $LOCALSTACK_URL with ${CDK[*]}"
"${CDK[@]}" bootstrap "aws://$CDK_DEFAULT_ACCOUNT/$AWS_REGION"
"${CDK[@]}" deploy --all --require-approval never "$@"

cat <<EOF

Deployed. The stack's API URL output has the AWS form https://<api-id>.execute-api.amazonaws.com/<stage>/;
on LocalStack call it as
  $LOCALSTACK_URL/restapis/<api-id>/<stage>/_user_request_/catering/register
with the x-api-key header (the key id is in the stack outputs; read its value with
  aws --endpoint-url $LOCALSTACK_URL apigateway get-api-key --api-key <id> --include-value
or deploy with API_KEY_REQUIRED=false to try it without one).
EOF
