#!/usr/bin/env node
// Launcher for the built CLI (dist/cli.js). It lives outside dist/ so that npm links the `caption-eval`
// command at install time, before the package is built (npm skips bins whose file does not exist yet).
import '../dist/cli.js';
