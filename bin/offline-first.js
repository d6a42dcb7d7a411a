#!/usr/bin/env node
// Entry point installed as `offline-first`; the compiled CLI lives in dist/.
import '../dist/src/cli.js';
