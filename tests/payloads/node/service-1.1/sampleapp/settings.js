'use strict';

const { ConfigError } = require('./errors');

// Release 1.1: more regions, one per line, push the checks down.
const REGIONS = [
  'eu-west',
  'eu-central',
  'us-east',
];
const port = Number.parseInt(process.env.PORT, 10);
if (!Number.isInteger(port)) throw new ConfigError(`PORT must be an integer, got '${process.env.PORT}'`);
const region = process.env.REGION;
if (!REGIONS.includes(region)) throw new ConfigError(`unknown REGION ${region}`);

module.exports = { port, region };
