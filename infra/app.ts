import { createDeliveryApp } from './delivery-app.js';

// `cdk synth` / `cdk deploy` entry (cdk.json): configuration comes from the environment.
createDeliveryApp(process.env).app.synth();
