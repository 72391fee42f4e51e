#!/usr/bin/env -S node --experimental-strip-types --disable-warning=ExperimentalWarning
// The `tenfold` binary: Node runs the TypeScript sources directly (type stripping).
import "../src/main.ts"
