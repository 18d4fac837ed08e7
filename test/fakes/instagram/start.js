#!/usr/bin/env node
// Runs the fake Instagram server (TypeScript) without a build step. Usage: see main.ts.
'use strict';
require('../register');
require('./main.ts');
