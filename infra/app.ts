import { ConfigurationError } from '../shared/errors.js';
import { createDeliveryApp } from './delivery-app.js';

// `cdk synth` / `cdk deploy` entry (cdk.json): configuration comes from the environment.
try {
  createDeliveryApp(process.env).app.synth();
} catch (error) {
  // A configuration mistake is the user's to fix: say what and where, without a stack trace.
  if (!(error instanceof ConfigurationError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
